// Shape values: Reshape/Expand/ConstantOfShape outputs shaped through Shape -> Gather/Slice ->
// Concat chains with a symbolic batch, the part ONNX 1.12's inference leaves open.
#include <catch2/catch.hpp>

#include "onnx/shape_values.h"
#include "small_graphs.h"

using namespace quant;

namespace {

ir::ValueInfo symbolic(const std::string& name, std::vector<ir::Dim> dims) {
  return {.name = name, .dtype = DType::Float32, .dims = std::move(dims), .has_shape = true};
}
Tensor ints(std::vector<int64_t> v) { return Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v); }
std::string dims_of(const ir::Graph& g, const std::string& name) {
  std::vector<ir::Dim> dims;
  if (!g.known_dims(name, dims)) return "?";
  std::string s;
  for (const ir::Dim& d : dims) s += (s.empty() ? "" : ",") + (d.fixed() ? std::to_string(d.size) : d.symbol.empty() ? "?" : d.symbol);
  return s;
}

}  // namespace

TEST_CASE("A Reshape to Concat(Slice(Shape(x)), [-1]) gets its shape with the batch symbol kept", "[shape]") {
  // The ViT patch flatten: x [N, 48, 4, 4] -> Reshape(x, [N, 48, -1]) = [N, 48, 16].
  ir::Graph g;
  g.inputs = {symbolic("x", {{-1, "N"}, {48, ""}, {4, ""}, {4, ""}})};
  g.initializers = {{"zero", ints({0})}, {"two", ints({2})}, {"minus_one", ints({-1})}};
  g.nodes = {test::node("shape", "Shape", {"x"}, {"s"}), test::node("slice", "Slice", {"s", "zero", "two", "zero"}, {"s01"}),
             test::node("concat", "Concat", {"s01", "minus_one"}, {"target"}), test::node("reshape", "Reshape", {"x", "target"}, {"y"})};
  g.nodes[2].attributes["axis"] = {.kind = ir::AttrKind::Int, .i = 0};
  CHECK(onnx_io::add_shapes_from_shape_values(g) == 1);
  CHECK(dims_of(g, "y") == "N,48,16");
}

TEST_CASE("Gather, Unsqueeze, arithmetic and 0 in a Reshape target; Expand and ConstantOfShape", "[shape]") {
  // x [N, 16, 48]: heads split as Reshape(x, [N, 0, 3, 48 / 3]); an LSTM's initial state
  // ConstantOfShape([1, N, 64]); Expand(bias [48], Shape(x)).
  ir::Graph g;
  g.inputs = {symbolic("x", {{-1, "N"}, {16, ""}, {48, ""}}), symbolic("bias", {{48, ""}})};
  g.initializers = {{"i0", Tensor::scalar<int64_t>(0)}, {"axes", ints({0})},  {"zero", ints({0})}, {"three", ints({3})},
                    {"c48", ints({48})},                {"one", ints({1})},   {"c64", ints({64})}};
  g.nodes = {test::node("shape", "Shape", {"x"}, {"s"}),
             test::node("gather", "Gather", {"s", "i0"}, {"n"}),
             test::node("unsq", "Unsqueeze", {"n", "axes"}, {"n1"}),
             test::node("div", "Div", {"c48", "three"}, {"head_dim"}),
             test::node("concat", "Concat", {"n1", "zero", "three", "head_dim"}, {"target"}),
             test::node("reshape", "Reshape", {"x", "target"}, {"heads"}),
             test::node("state_shape", "Concat", {"one", "n1", "c64"}, {"state_dims"}),
             test::node("state", "ConstantOfShape", {"state_dims"}, {"h0"}),
             test::node("expand", "Expand", {"bias", "s"}, {"b"})};
  for (ir::Node& n : g.nodes)
    if (n.op_type == "Concat") n.attributes["axis"] = {.kind = ir::AttrKind::Int, .i = 0};
  CHECK(onnx_io::add_shapes_from_shape_values(g) == 3);
  CHECK(dims_of(g, "heads") == "N,16,3,16");
  CHECK(dims_of(g, "h0") == "1,N,64");
  CHECK(dims_of(g, "b") == "N,16,48");
}

TEST_CASE("Products of symbols: N*T from a -1, N*3 from a heads split; an inexact division stays unshaped", "[shape]") {
  // x [N, T, 8]: Reshape(x, [-1, 8]) = [N*T, 8]; Reshape(x, [N * 3, T, -1]) needs 8 / 3: not a dim;
  // q [16, N, 48]: Reshape(q, [16, N * 3, 16]) = [16, N*3, 16]; a target read from a tensor
  // computed at run time stays unknown.
  ir::Graph g;
  g.inputs = {symbolic("x", {{-1, "N"}, {-1, "T"}, {8, ""}}), symbolic("q", {{16, ""}, {-1, "N"}, {48, ""}}), symbolic("t", {{3, ""}})};
  g.initializers = {{"flat", ints({-1, 8})}, {"i0", ints({0})}, {"i1", ints({1})}, {"three", ints({3})}, {"minus_one", ints({-1})},
                    {"c16", ints({16})}};
  g.nodes = {test::node("flatten", "Reshape", {"x", "flat"}, {"y"}),
             test::node("shape_x", "Shape", {"x"}, {"sx"}),
             test::node("n", "Gather", {"sx", "i0"}, {"n"}),
             test::node("t", "Gather", {"sx", "i1"}, {"tt"}),
             test::node("n3", "Mul", {"n", "three"}, {"n3"}),
             test::node("odd_target", "Concat", {"n3", "tt", "minus_one"}, {"odd"}),
             test::node("odd", "Reshape", {"x", "odd"}, {"w"}),
             test::node("shape_q", "Shape", {"q"}, {"sq"}),
             test::node("qn", "Gather", {"sq", "i1"}, {"qn"}),
             test::node("qn3", "Mul", {"qn", "three"}, {"qn3"}),
             test::node("heads_target", "Concat", {"c16", "qn3", "c16"}, {"heads_target"}),
             test::node("heads", "Reshape", {"q", "heads_target"}, {"heads"}),
             test::node("dynamic", "Reshape", {"x", "t"}, {"z"})};
  CHECK(onnx_io::add_shapes_from_shape_values(g) == 2);
  CHECK(dims_of(g, "y") == "N*T,8");
  CHECK(dims_of(g, "heads") == "16,N*3,16");
  CHECK(dims_of(g, "w") == "?");
  CHECK(dims_of(g, "z") == "?");
}
