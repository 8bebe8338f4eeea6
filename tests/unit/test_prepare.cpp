// The preparation stage's pure graph rewrites on small IR graphs, against hand-computed values:
// BatchNormalization folding (Conv and Gemm), Identity removal that keeps graph output names,
// constant folding of Constant-node weight chains; and the opset form-change table checked
// against ONNX's own schemas.
#include <catch2/catch.hpp>

#include "interp/interpreter.h"
#include "onnx/schema.h"
#include "prepare/fold_batch_norm.h"
#include "prepare/fold_constants.h"
#include "prepare/inline_if.h"
#include "prepare/opset_rules.h"
#include "prepare/remove_identity.h"
#include "small_graphs.h"

using namespace quant;

namespace {

using test::node;
using test::value;
using test::vec;

void add_batch_norm(ir::Graph& g, const std::string& in, const std::string& out, std::vector<float> gamma, std::vector<float> beta,
                    std::vector<float> mean, std::vector<float> var, float eps) {
  g.initializers["g"] = vec(gamma);
  g.initializers["be"] = vec(beta);
  g.initializers["mu"] = vec(mean);
  g.initializers["var"] = vec(var);
  ir::Node bn = node("bn", "BatchNormalization", {in, "g", "be", "mu", "var"}, {out});
  bn.attributes["epsilon"] = {.kind = ir::AttrKind::Float, .f = eps};
  g.nodes.push_back(bn);
}

}  // namespace

TEST_CASE("BatchNormalization after Conv folds into weight and bias: s = gamma / sqrt(var + eps)", "[prepare]") {
  ir::Graph g;
  g.inputs = {value("x")};
  g.outputs = {value("y")};
  // Two output channels, one input channel, 1x1 kernels: W = [2, 4], b = [1, -1].
  g.initializers["w"] = Tensor::from_vector<float>({2, 1, 1, 1}, {2.0f, 4.0f});
  g.initializers["b"] = vec({1.0f, -1.0f});
  g.nodes.push_back(node("conv", "Conv", {"x", "w", "b"}, {"c"}));
  // s = [3 / sqrt(3 + 1), 1 / sqrt(0 + 1)] = [1.5, 1]
  add_batch_norm(g, "c", "y", {3.0f, 1.0f}, {0.5f, 2.0f}, {1.0f, 3.0f}, {3.0f, 0.0f}, 1.0f);
  REQUIRE(prepare::fold_batch_norms(g) == 1);
  REQUIRE(g.nodes.size() == 1);
  CHECK(g.nodes[0].outputs[0] == "y");
  // W' = W * s = [3, 4]; B' = (b - mean) * s + beta = [(1 - 1) * 1.5 + 0.5, (-1 - 3) * 1 + 2] = [0.5, -2]
  const auto w = g.initializers.at(g.nodes[0].inputs[1]).to_float_vector();
  const auto b = g.initializers.at(g.nodes[0].inputs[2]).to_float_vector();
  CHECK(w == std::vector<float>{3.0f, 4.0f});
  CHECK(b == std::vector<float>{0.5f, -2.0f});
}

TEST_CASE("BatchNormalization after Gemm folds beta * C into the new bias, and beta becomes 1", "[prepare]") {
  ir::Graph g;
  g.inputs = {value("x")};
  g.outputs = {value("y")};
  // B is [K = 1, N = 2] (transB = 0): output channel n is column n.
  g.initializers["w"] = Tensor::from_vector<float>({1, 2}, {1.0f, 1.0f});
  g.initializers["c"] = vec({1.0f, 2.0f});
  ir::Node gemm = node("gemm", "Gemm", {"x", "w", "c"}, {"m"});
  gemm.attributes["beta"] = {.kind = ir::AttrKind::Float, .f = 0.5f};
  g.nodes.push_back(gemm);
  // s = [2 / sqrt(3 + 1), 2 / sqrt(0 + 1)] = [1, 2]
  add_batch_norm(g, "m", "y", {2.0f, 2.0f}, {0.0f, 1.0f}, {0.0f, 1.0f}, {3.0f, 0.0f}, 1.0f);
  REQUIRE(prepare::fold_batch_norms(g) == 1);
  const ir::Node& n = g.nodes[0];
  // W' = [1 * 1, 1 * 2]; C' = (0.5 * C - mean) * s + beta = [(0.5 - 0) * 1 + 0, (1 - 1) * 2 + 1] = [0.5, 1]
  CHECK(g.initializers.at(n.inputs[1]).to_float_vector() == std::vector<float>{1.0f, 2.0f});
  CHECK(g.initializers.at(n.inputs[2]).to_float_vector() == std::vector<float>{0.5f, 1.0f});
  CHECK(n.attr_float("beta") == 1.0f);
}

TEST_CASE("BatchNormalization is not folded when the Conv output has another reader", "[prepare]") {
  ir::Graph g;
  g.inputs = {value("x")};
  g.outputs = {value("y"), value("c")};
  g.initializers["w"] = Tensor::from_vector<float>({1, 1, 1, 1}, {2.0f});
  g.nodes.push_back(node("conv", "Conv", {"x", "w"}, {"c"}));
  add_batch_norm(g, "c", "y", {1.0f}, {0.0f}, {0.0f}, {1.0f}, 0.0f);
  CHECK(prepare::fold_batch_norms(g) == 0);
  CHECK(g.nodes.size() == 2);
}

TEST_CASE("Identity removal rewires readers and keeps graph output names", "[prepare]") {
  ir::Graph g;
  g.inputs = {value("x")};
  g.outputs = {value("y")};
  g.nodes.push_back(node("id0", "Identity", {"x"}, {"x1"}));
  g.nodes.push_back(node("relu", "Relu", {"x1"}, {"r"}));
  g.nodes.push_back(node("id1", "Identity", {"r"}, {"r1"}));
  g.nodes.push_back(node("id2", "Identity", {"r1"}, {"y"}));
  CHECK(prepare::remove_identities(g) == 3);
  REQUIRE(g.nodes.size() == 1);
  CHECK(g.nodes[0].inputs[0] == "x");
  CHECK(g.nodes[0].outputs[0] == "y");  // Relu now produces the graph output itself
}

TEST_CASE("An Identity from a graph input to a graph output stays", "[prepare]") {
  ir::Graph g;
  g.inputs = {value("x")};
  g.outputs = {value("y")};
  g.nodes.push_back(node("id", "Identity", {"x"}, {"y"}));
  CHECK(prepare::remove_identities(g) == 0);
  CHECK(g.nodes.size() == 1);
}

TEST_CASE("Constant-node weight chains fold to one initializer", "[prepare]") {
  ir::Graph g;
  g.inputs = {value("x")};
  g.outputs = {value("y")};
  ir::Node c = node("w_const", "Constant", {}, {"w_hw"});
  c.attributes["value"] = {.kind = ir::AttrKind::Tensor, .t = Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6})};
  g.nodes.push_back(c);
  ir::Node t = node("w_t", "Transpose", {"w_hw"}, {"w"});
  t.attributes["perm"] = {.kind = ir::AttrKind::Ints, .ints = {1, 0}};
  g.nodes.push_back(t);
  g.nodes.push_back(node("mm", "MatMul", {"x", "w"}, {"y"}));
  prepare::FoldCounts counts;
  prepare::fold_constants(g, counts);
  CHECK(counts.constants == 1);
  CHECK(counts.folded == 1);
  REQUIRE(g.nodes.size() == 1);
  const Tensor& w = g.initializers.at("w");
  CHECK(w.shape() == Shape{3, 2});
  CHECK(w.to_float_vector() == std::vector<float>{1, 4, 2, 5, 3, 6});
}

TEST_CASE("The opset form-change table is sorted and every row is a real change in ONNX's schemas", "[prepare]") {
  const auto rows = prepare::all_form_changes();
  for (size_t i = 1; i < rows.size(); ++i) {
    INFO(rows[i].op << "-" << rows[i].at);
    CHECK((rows[i - 1].op < rows[i].op || (rows[i - 1].op == rows[i].op && rows[i - 1].at < rows[i].at)));
  }
  for (const prepare::FormChange& row : rows) {
    INFO(row.op << " at " << row.at);
    CHECK(onnx_io::schema_since_version(std::string(row.op), row.at) == row.at);
    CHECK(prepare::find_form_change(row.op, row.at) == &row);
  }
}

TEST_CASE("Every form change of a quant-supported op between opsets 7 and 13 has a row", "[prepare]") {
  for (const char* op : {"Conv", "Gemm", "MatMul", "Softmax", "Slice", "Pad", "Clip", "Split", "Squeeze", "Unsqueeze", "ReduceSum",
                         "ReduceMean", "Resize", "BatchNormalization", "Concat", "Reshape", "Flatten", "Gather", "MaxPool", "AveragePool"})
    for (int at : onnx_io::schema_changes(op, 7, 13)) {
      INFO(op << " at " << at);
      CHECK(prepare::find_form_change(op, at) != nullptr);
    }
}

TEST_CASE("An input fixed by --input-value becomes an initializer of its declared type and shape", "[prepare]") {
  ir::Graph g;
  g.inputs = {value("x"), {.name = "sr", .dtype = DType::Int64, .dims = {}, .has_shape = true},
              {.name = "scales", .dtype = DType::Float32, .dims = {{2, ""}}, .has_shape = true}};
  interp::set_input_value(g, "sr", {16000});
  interp::set_input_value(g, "scales", {0.5, 2});
  REQUIRE(g.inputs.size() == 1);
  CHECK(g.inputs[0].name == "x");
  const Tensor& sr = g.initializers.at("sr");
  CHECK(sr.dtype() == DType::Int64);
  CHECK(sr.shape().empty());
  CHECK(sr.values<int64_t>()[0] == 16000);
  CHECK(g.initializers.at("scales").to_float_vector() == std::vector<float>{0.5f, 2.0f});
  // Wrong count, unknown name, and a shape with a symbolic dim are usage errors.
  ir::Graph h;
  h.inputs = {{.name = "sr", .dtype = DType::Int64, .dims = {}, .has_shape = true},
              {.name = "x", .dtype = DType::Float32, .dims = {{-1, "N"}}, .has_shape = true}};
  CHECK_THROWS_WITH(interp::set_input_value(h, "sr", {1, 2}), Catch::Contains("holds 1 values, got 2"));
  CHECK_THROWS_WITH(interp::set_input_value(h, "rate", {1}), Catch::Contains("no input named 'rate'"));
  CHECK_THROWS_WITH(interp::set_input_value(h, "x", {1}), Catch::Contains("symbolic dim"));
}

TEST_CASE("An If whose condition became constant is replaced by the branch it takes", "[prepare]") {
  ir::Graph then_branch, else_branch;
  then_branch.nodes = {node("t_relu", "Relu", {"x"}, {"t_out"})};
  then_branch.outputs = {value("t_out")};
  else_branch.nodes = {node("e_neg", "Neg", {"x"}, {"e_out"})};
  else_branch.outputs = {value("e_out")};
  for (bool cond : {true, false}) {
    ir::Graph g;
    g.inputs = {value("x")};
    g.outputs = {value("y")};
    g.initializers["c"] = Tensor::scalar<bool>(cond);
    ir::Node n = node("if", "If", {"c"}, {"y"});
    n.attributes["then_branch"] = {.kind = ir::AttrKind::Graph, .g = std::make_shared<ir::Graph>(then_branch)};
    n.attributes["else_branch"] = {.kind = ir::AttrKind::Graph, .g = std::make_shared<ir::Graph>(else_branch)};
    g.nodes = {n};
    CHECK(prepare::inline_constant_ifs(g) == 1);
    REQUIRE(g.nodes.size() == 1);
    CHECK(g.nodes[0].op_type == (cond ? "Relu" : "Neg"));
    CHECK(g.nodes[0].outputs == std::vector<std::string>{"y"});
  }
}
