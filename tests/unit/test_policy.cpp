// What the plan quantizes (plan/policy.h): the default's integer compute ops and what lies between
// them, fragile ops and model outputs in float, units (decomposed LayerNorm, GELU, SiLU) handled
// whole; and --full-integer, which quantizes everything with fragile ops at 16 bits.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "plan/plan.h"
#include "small_graphs.h"

using namespace quant;
using test::node;
using test::value;
using test::vec;

namespace {

Tensor filled(std::vector<int64_t> shape, float v) {
  Tensor t(DType::Float32, shape);
  std::fill_n(t.data<float>(), t.numel(), v);
  return t;
}

// Statistics in [-1, 2] for every float tensor of the graph.
calib::Statistics stats_for(const ir::Graph& g) {
  calib::Statistics s;
  auto add = [&](const std::string& t) {
    if (!t.empty() && !g.initializers.count(t)) s.tensors[t] = {.min = -1, .max = 2, .count = 8};
  };
  for (const ir::ValueInfo& in : g.inputs) add(in.name);
  for (const ir::Node& n : g.nodes)
    for (const std::string& o : n.outputs) add(o);
  return s;
}

// x -> Conv -> Relu -> r1 -> Exp -> e -> Conv -> c2 -> SiLU (Sigmoid, Mul) -> m -> Conv -> y (output)
ir::Graph cnn_with_exp() {
  ir::Graph g;
  g.inputs.push_back(value("x"));
  g.outputs.push_back(value("y"));
  for (const char* w : {"w1", "w2", "w3"}) g.initializers[w] = filled({2, 2, 1, 1}, 0.5f);
  g.initializers["b1"] = vec({0.1f, -0.1f});
  g.nodes = {node("conv1", "Conv", {"x", "w1", "b1"}, {"c1"}), node("relu1", "Relu", {"c1"}, {"r1"}), node("exp", "Exp", {"r1"}, {"e"}),
             node("conv2", "Conv", {"e", "w2"}, {"c2"}),           node("sig", "Sigmoid", {"c2"}, {"s"}), node("silu", "Mul", {"c2", "s"}, {"m"}),
             node("conv3", "Conv", {"m", "w3"}, {"y"})};
  return g;
}

const plan::FloatItem* float_node(const plan::QuantPlan& p, const std::string& name) {
  for (const plan::FloatItem& f : p.decisions.float_nodes)
    if (f.node == name) return &f;
  return nullptr;
}

}  // namespace

TEST_CASE("default policy: compute ops and what lies between them; fragile ops and outputs float", "[policy]") {
  const ir::Graph g = cnn_with_exp();
  const plan::QuantPlan p = plan::make_plan(g, stats_for(g), {});
  CHECK(p.find("x"));             // a Conv input
  CHECK_FALSE(p.find("c1"));      // Conv + Relu run fused
  CHECK(p.find("r1"));            // the fused pair's output, read by Exp in float
  CHECK(p.find("e"));             // Exp computes in float; its result is quantized for conv2
  CHECK(p.find("c2"));
  CHECK_FALSE(p.find("s"));       // inside the SiLU unit: never quantized
  CHECK(p.find("m"));
  CHECK_FALSE(p.find("y"));       // the model output leaves in float
  CHECK(p.find("w3"));            // its Conv still runs on integers
  const plan::FloatItem* exp = float_node(p, "exp");
  REQUIRE(exp);
  CHECK(exp->reason == "fragile: exponential");
  CHECK_FALSE(float_node(p, "conv3"));
  CHECK_FALSE(float_node(p, "sig"));
}

TEST_CASE("full integer: every activation, fragile ops and what they read at 16 bits", "[policy]") {
  const ir::Graph g = cnn_with_exp();
  plan::PlanOptions o;
  o.full_integer = true;
  const plan::QuantPlan p = plan::make_plan(g, stats_for(g), o);
  REQUIRE(p.find("y"));
  CHECK(p.find("y")->role == plan::Role::Output);
  CHECK(p.find("y")->dtype == DType::UInt8);
  REQUIRE(p.find("e"));
  CHECK(p.find("e")->dtype == DType::UInt16);   // Exp's output
  CHECK(p.find("e")->rule_source == "--full-integer (exponential)");
  REQUIRE(p.find("r1"));
  CHECK(p.find("r1")->dtype == DType::UInt16);  // what Exp reads, written at 16 by the fused Conv+Relu
  CHECK_FALSE(p.find("s"));                      // a SiLU's interior is one look-up table to an accelerator
  CHECK(p.decisions.float_nodes.empty());
}

namespace {

// x -> MatMul -> a -> LayerNorm (decomposed, as torch.onnx writes it at opset 13) -> ln -> MatMul
// -> h -> GELU (Erf) -> gl -> MatMul -> y (output)
ir::Graph layernorm_gelu() {
  ir::Graph g;
  g.inputs.push_back(value("x"));
  g.outputs.push_back(value("y"));
  for (const char* w : {"W1", "W2", "W3"}) g.initializers[w] = filled({4, 4}, 0.25f);
  g.initializers["two"] = vec({2.0f});
  g.initializers["eps"] = vec({1e-5f});
  g.initializers["gamma"] = filled({4}, 1.0f);
  g.initializers["beta"] = filled({4}, 0.0f);
  g.initializers["sqrt2"] = vec({1.4142135f});
  g.initializers["one"] = vec({1.0f});
  g.initializers["half"] = vec({0.5f});
  g.nodes = {node("mm1", "MatMul", {"x", "W1"}, {"a"}),
             // LayerNorm over the last axis, as torch.onnx writes it at opset 13
             node("mean", "ReduceMean", {"a"}, {"mu"}), node("sub", "Sub", {"a", "mu"}, {"d"}), node("pow", "Pow", {"d", "two"}, {"p"}),
             node("var", "ReduceMean", {"p"}, {"v"}), node("addeps", "Add", {"v", "eps"}, {"ve"}), node("sqrt", "Sqrt", {"ve"}, {"sd"}),
             node("div", "Div", {"d", "sd"}, {"n"}), node("gamma", "Mul", {"n", "gamma"}, {"ng"}), node("beta", "Add", {"ng", "beta"}, {"ln"}),
             node("mm2", "MatMul", {"ln", "W2"}, {"h"}),
             // GELU: x * 0.5 * (1 + erf(x / sqrt 2))
             node("scale", "Div", {"h", "sqrt2"}, {"hd"}), node("erf", "Erf", {"hd"}, {"ef"}), node("plus1", "Add", {"ef", "one"}, {"e1"}),
             node("times", "Mul", {"h", "e1"}, {"hm"}), node("halve", "Mul", {"hm", "half"}, {"gl"}),
             node("mm3", "MatMul", {"gl", "W3"}, {"y"})};
  return g;
}

}  // namespace

TEST_CASE("decomposed LayerNorm and Erf GELU are units: only what enters and leaves is quantized", "[policy]") {
  const ir::Graph g = layernorm_gelu();
  const plan::QuantPlan p = plan::make_plan(g, stats_for(g), {});
  for (const char* t : {"x", "a", "ln", "h", "gl"}) CHECK(p.find(t));
  for (const char* t : {"mu", "d", "p", "v", "ve", "sd", "n", "ng", "hd", "ef", "e1", "hm", "y"}) CHECK_FALSE(p.find(t));
  const plan::FloatItem* sqrt = float_node(p, "sqrt");
  REQUIRE(sqrt);
  CHECK(sqrt->reason == "fragile: inside a decomposed LayerNorm");
  REQUIRE(float_node(p, "halve"));
  CHECK(float_node(p, "halve")->reason == "fragile: inside a GELU (Erf)");

  plan::PlanOptions o;
  o.full_integer = true;
  const plan::QuantPlan f = plan::make_plan(g, stats_for(g), o);
  for (const char* t : {"d", "p", "v", "sd", "n", "hd", "ef", "hm"}) {
    INFO(t);
    REQUIRE(f.find(t));
    CHECK(f.find(t)->dtype == DType::UInt16);
  }
  CHECK(f.find("ln")->dtype == DType::UInt8);  // a unit's own output stays 8-bit for the MatMul
  CHECK(f.find("a")->dtype == DType::UInt16);  // what the unit reads, written at 16 bits
}

TEST_CASE("a MatMul's bias Add runs fused: only the sum is quantized", "[policy]") {
  ir::Graph g;
  g.inputs.push_back(value("x"));
  g.outputs.push_back(value("y"));
  g.initializers["W"] = filled({4, 4}, 0.25f);
  g.initializers["b"] = filled({4}, 0.1f);
  g.nodes = {node("mm", "MatMul", {"x", "W"}, {"m"}), node("bias", "Add", {"m", "b"}, {"a"}), node("relu", "Relu", {"a"}, {"r"}),
             node("mm2", "MatMul", {"r", "W"}, {"y"})};
  const plan::QuantPlan p = plan::make_plan(g, stats_for(g), {});
  CHECK_FALSE(p.find("m"));
  CHECK(p.find("a"));
  CHECK(p.find("r"));
}

TEST_CASE("a model with no compute op has nothing to quantize by default", "[policy]") {
  ir::Graph g;
  g.inputs.push_back(value("x"));
  g.outputs.push_back(value("y"));
  g.nodes = {node("relu", "Relu", {"x"}, {"y"})};
  CHECK_THROWS_WITH(plan::make_plan(g, stats_for(g), {}), Catch::Contains("nothing to quantize by default"));
}

TEST_CASE("the tensors needing statistics are those a plan quantizes, and suffice for the same plan", "[policy]") {
  // optimize calibrates only tensors_needing_statistics(); the others are listed as unobserved (they
  // exist). The plan from those statistics must be the plan from all of them.
  for (const ir::Graph& g : {cnn_with_exp(), layernorm_gelu()}) {
    for (const int variant : {0, 1, 2}) {
      const bool full_integer = variant == 1;
      plan::PlanOptions o;
      o.full_integer = full_integer;
      if (variant == 2) o.rules.keep_float[g.nodes[0].name] = "--keep-float";  // conv1 / mm1 and what runs fused with it
      const calib::Statistics all = stats_for(g);
      const std::set<std::string> needed =
          plan::tensors_needing_statistics(g, o, [&](const std::string& t) { return all.tensors.count(t) != 0; });
      const plan::QuantPlan from_all = plan::make_plan(g, all, o);
      std::set<std::string> quantized;
      for (const plan::TensorQuant& q : from_all.tensors)
        if (q.role == plan::Role::Input || q.role == plan::Role::Output || q.role == plan::Role::Activation) quantized.insert(q.name);
      INFO("variant " << variant << ", " << g.nodes.size() << " nodes");
      CHECK(needed == quantized);
      if (!full_integer) CHECK(needed.size() < all.tensors.size());  // the default leaves fragile ops' tensors out
      calib::Statistics only = all;
      for (const auto& [name, s] : all.tensors)
        if (!needed.count(name)) only.tensors.erase(name), only.unobserved.insert(name);
      const plan::QuantPlan from_needed = plan::make_plan(g, only, o);
      REQUIRE(from_needed.tensors.size() == from_all.tensors.size());
      for (size_t k = 0; k < from_all.tensors.size(); ++k) {
        CHECK(from_needed.tensors[k].name == from_all.tensors[k].name);
        CHECK(from_needed.tensors[k].dtype == from_all.tensors[k].dtype);
        CHECK(from_needed.tensors[k].scale == from_all.tensors[k].scale);
        CHECK(from_needed.tensors[k].zero_point == from_all.tensors[k].zero_point);
      }
    }
  }
}

namespace {

// make_plan on stats_for(g), with these layers kept float as --keep-float names them.
plan::QuantPlan plan_keeping_float(const ir::Graph& g, std::initializer_list<const char*> layers, plan::PlanOptions o = {}) {
  for (const char* layer : layers) o.rules.keep_float[layer] = "--keep-float";
  return plan::make_plan(g, stats_for(g), o);
}

}  // namespace

TEST_CASE("a layer kept float: it and its fused activation compute in float, its weight stays float, its neighbours are quantized where integer ops read them", "[policy]") {
  const ir::Graph g = cnn_with_exp();
  for (const bool full_integer : {false, true}) {
    INFO("full_integer " << full_integer);
    plan::PlanOptions o;
    o.full_integer = full_integer;
    o.rules.precision["conv2"] = {"a16_w16", 16, 16, 16, "s.alls:1"};  // kept float wins over a script rule for the layer
    const plan::QuantPlan p = plan_keeping_float(g, {"conv2"}, o);
    const plan::FloatItem* conv2 = float_node(p, "conv2");
    REQUIRE(conv2);
    CHECK(conv2->reason == "kept float (--keep-float)");
    CHECK_FALSE(p.find("w2"));       // its weight is not quantized ...
    CHECK(p.decisions.float_weights() == 0);  // ... and is not listed as a weight left float by accident (--strict passes)
    // Its input, Exp's output: by default read by no integer op now, so float; --full-integer
    // quantizes it (at 16 bits, the fragile op's output).
    CHECK((p.find("e") != nullptr) == full_integer);
    if (full_integer) CHECK(p.find("e")->dtype == DType::UInt16);
    REQUIRE(p.find("c2"));           // its output, read by the SiLU unit that feeds conv3 on integers
    // A precision rule on the layer still sets the precision of what it writes (its readers
    // expect it); only its own computation and weight stay float.
    CHECK(p.find("c2")->dtype == DType::UInt16);
    CHECK(p.find("c2")->precision_mode == "a16_w16");
    CHECK(p.find("w1"));
    CHECK(p.find("w3"));
    CHECK(p.decisions.quantized + static_cast<int>(p.decisions.float_nodes.size()) == p.decisions.nodes);
  }
  // The Relu fused to a kept-float Conv stays float with it; the Conv's input, read by no integer
  // op, is not quantized, and its bias stays float too.
  const plan::QuantPlan p = plan_keeping_float(g, {"conv1"});
  REQUIRE(float_node(p, "relu1"));
  CHECK(float_node(p, "relu1")->reason == "kept float (--keep-float)");
  CHECK_FALSE(p.find("x"));
  CHECK_FALSE(p.find("w1"));
  CHECK_FALSE(p.find("b1"));
  CHECK_FALSE(p.find("r1"));  // read only by Exp, in float by default
  CHECK(p.find("e"));
  // Naming the fused Relu instead keeps the pair float all the same: they are one layer.
  const plan::QuantPlan relu_named = plan_keeping_float(g, {"relu1"});
  REQUIRE(float_node(relu_named, "conv1"));
  CHECK(float_node(relu_named, "conv1")->reason == "kept float (--keep-float)");
  CHECK_FALSE(relu_named.find("w1"));
  CHECK_FALSE(relu_named.find("x"));
  // A unit is one layer too: keeping the SiLU's Sigmoid float keeps its Mul float, and the unit's
  // output is quantized for conv3.
  const plan::QuantPlan sigmoid_named = plan_keeping_float(g, {"sig"});
  REQUIRE(float_node(sigmoid_named, "silu"));
  CHECK(float_node(sigmoid_named, "silu")->reason == "kept float (--keep-float)");
  CHECK(sigmoid_named.find("m"));
  CHECK_FALSE(sigmoid_named.find("s"));
  // --full-integer with a fragile op kept float: it computes in float, and what it reads is still
  // written at 16 bits (the resolution it needs either way).
  plan::PlanOptions fi;
  fi.full_integer = true;
  const plan::QuantPlan with_exp_float = plan_keeping_float(g, {"exp"}, fi);
  REQUIRE(float_node(with_exp_float, "exp"));
  REQUIRE(with_exp_float.find("r1"));
  CHECK(with_exp_float.find("r1")->dtype == DType::UInt16);
  // A weight two layers share, one of them kept float: float for both (the float layer computes
  // with its own weights), and the quantized layer's float weight says why.
  ir::Graph tied = g;
  tied.nodes[3].inputs[1] = "w3";  // conv2 reads conv3's weight
  const plan::QuantPlan shared = plan_keeping_float(tied, {"conv2"});
  CHECK_FALSE(shared.find("w3"));
  REQUIRE(shared.decisions.float_weights() == 1);
  CHECK(shared.decisions.float_constants[0].node == "conv3");
  CHECK(shared.decisions.float_constants[0].reason == "weight shared with Conv 'conv2', which is kept float");
  // Keeping every compute layer float leaves nothing to quantize: an error, not an empty model.
  CHECK_THROWS_WITH(plan_keeping_float(g, {"conv1", "conv2", "conv3"}), Catch::Contains("nothing to quantize: the layers kept float"));
}
