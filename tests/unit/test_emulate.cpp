// The integer emulator: its kernels on hand-computed cases, and the rewrite of a small QDQ graph
// against the same graph run in float.
#include <catch2/catch.hpp>

#include <random>

#include "emulate/emulate.h"
#include "interp/interpreter.h"
#include "ops/op_table.h"
#include "small_graphs.h"

using namespace quant;

namespace {

using ir::int_attribute;
using ir::ints_attribute;

// Requantizer attributes: one multiplier m0 * 2^-shift, output uint8 with zero point 100.
void uint8_output(ir::Node& n, int64_t m0, int64_t shift, int64_t lo = 0, int64_t hi = 255) {
  n.domain = std::string(ops::kIntegerDomain);
  n.attributes["multiplier"] = ints_attribute({m0});
  n.attributes["shift"] = ints_attribute({shift});
  n.attributes["y_zero_point"] = int_attribute(100);
  n.attributes["y_min"] = int_attribute(lo);
  n.attributes["y_max"] = int_attribute(hi);
  n.attributes["y_type"] = int_attribute(static_cast<int64_t>(DType::UInt8));
  n.attributes["accumulator_bits"] = int_attribute(32);
}

ops::Outputs run(const ir::Node& n, const std::vector<const Tensor*>& inputs) {
  return ops::find_op(n.domain, n.op_type)->kernel(n, inputs, {});
}

}  // namespace

TEST_CASE("IntegerGemm: zero points off, int32 sum, one rounding, clamp", "[emulate]") {
  // x = [130, 120] - 128 = [2, -8]; W = [[3, -1], [2, 4]] (K x N); bias [10, -5]:
  // acc = [10 + 6 - 16, -5 - 2 - 32] = [0, -39]; M = 0.25 (m0 2^30, shift 1): [0, -9.75 -> -10]; + 100.
  ir::Node n = test::node("fc", "IntegerGemm", {"x", "w", "b"}, {"y"});
  uint8_output(n, int64_t{1} << 30, 1);
  n.attributes["x_zero_point"] = int_attribute(128);
  n.attributes["w_zero_point"] = ints_attribute({0});
  const Tensor x = Tensor::from_vector<uint8_t>({1, 2}, {130, 120});
  const Tensor w = Tensor::from_vector<int8_t>({2, 2}, {3, -1, 2, 4});
  const Tensor b = Tensor::from_vector<int32_t>({2}, {10, -5});
  CHECK(run(n, {&x, &w, &b})[0].to_int64_vector() == std::vector<int64_t>{100, 90});
  // A fused Relu clamps at the zero point.
  n.attributes["y_min"] = int_attribute(100);
  CHECK(run(n, {&x, &w, &b})[0].to_int64_vector() == std::vector<int64_t>{100, 100});
  // transB: W given as [N, K].
  n.attributes["transB"] = int_attribute(1);
  n.attributes["y_min"] = int_attribute(0);
  const Tensor wt = Tensor::from_vector<int8_t>({2, 2}, {3, 2, -1, 4});
  CHECK(run(n, {&x, &wt, &b})[0].to_int64_vector() == std::vector<int64_t>{100, 90});
}

TEST_CASE("IntegerGemm: a sum beyond a declared int32 accumulator is an error, not a wrap", "[emulate]") {
  // 3 * 32767 * 32767 = 3,220,926,267 > INT32_MAX.
  ir::Node n = test::node("fc", "IntegerGemm", {"x", "w"}, {"y"});
  uint8_output(n, int64_t{1} << 30, 40);
  n.attributes["x_zero_point"] = int_attribute(0);
  n.attributes["w_zero_point"] = ints_attribute({0});
  const Tensor x = Tensor::from_vector<int16_t>({1, 3}, {32767, 32767, 32767});
  const Tensor w = Tensor::from_vector<int16_t>({3, 1}, {32767, 32767, 32767});
  CHECK_THROWS_WITH(run(n, {&x, &w}), Catch::Contains("int32 accumulator"));
  n.attributes["accumulator_bits"] = int_attribute(64);  // 3220926267 * 2^-41 = 0.0015 -> 0, + 100
  CHECK(run(n, {&x, &w})[0].to_int64_vector() == std::vector<int64_t>{100});
}

TEST_CASE("IntegerConv: padding holds the input zero point", "[emulate]") {
  // X 1x1x2x2 = [[5, 6], [7, 8]] with Z_x 5 -> [[0, 1], [2, 3]]; W 1x1x2x2 all 1; pads 1 on each
  // side: a 3x3 output of window sums [[0, 1, 1], [2, 6, 4], [2, 5, 3]]; M = 1 (m0 2^30, shift -1); + 100.
  ir::Node n = test::node("conv", "IntegerConv", {"x", "w"}, {"y"});
  uint8_output(n, int64_t{1} << 30, -1);
  n.attributes["x_zero_point"] = int_attribute(5);
  n.attributes["w_zero_point"] = ints_attribute({0});
  n.attributes["pads"] = ints_attribute({1, 1, 1, 1});
  n.attributes["strides"] = ints_attribute({1, 1});
  n.attributes["dilations"] = ints_attribute({1, 1});
  n.attributes["group"] = int_attribute(1);
  n.attributes["auto_pad"] = ir::Attribute{.kind = ir::AttrKind::String, .s = "NOTSET"};
  const Tensor x = Tensor::from_vector<uint8_t>({1, 1, 2, 2}, {5, 6, 7, 8});
  const Tensor w = Tensor::from_vector<int8_t>({1, 1, 2, 2}, {1, 1, 1, 1});
  const Tensor y = run(n, {&x, &w})[0];
  CHECK(y.shape() == Shape{1, 1, 3, 3});
  CHECK(y.to_int64_vector() == std::vector<int64_t>{100, 101, 101, 102, 106, 104, 102, 105, 103});
}

TEST_CASE("Requantize and TableLookup", "[emulate]") {
  // uint16 -> uint8: (33767 - 32767) / 256 = 3.906 -> 4, + 100; M = 2^-8 = 0.5 * 2^-7.
  ir::Node r = test::node("conv16to8", "Requantize", {"x"}, {"y"});
  uint8_output(r, int64_t{1} << 30, 7);
  r.attributes["x_zero_point"] = int_attribute(32767);
  const Tensor x16 = Tensor::from_vector<uint16_t>({3}, {33767, 32767, 0});
  CHECK(run(r, {&x16})[0].to_int64_vector() == std::vector<int64_t>{104, 100, 0});  // -127.996 -> -128 -> clamp 0

  ir::Node t = test::node("neg", "TableLookup", {"x"}, {"y"});
  t.domain = std::string(ops::kIntegerDomain);
  std::vector<int64_t> table(256);
  for (int i = 0; i < 256; ++i) table[static_cast<size_t>(i)] = 255 - i;
  t.attributes["table"] = ints_attribute(table);
  t.attributes["y_type"] = int_attribute(static_cast<int64_t>(DType::UInt8));
  const Tensor x8 = Tensor::from_vector<uint8_t>({3}, {0, 10, 255});
  CHECK(run(t, {&x8})[0].to_int64_vector() == std::vector<int64_t>{255, 245, 0});
  // A table of the wrong size for the input type is refused.
  const Tensor x16b = Tensor::from_vector<uint16_t>({1}, {0});
  CHECK_THROWS_AS(run(t, {&x16b}), Error);
}

namespace {

// input -> Q -> DQ -> Gemm(DQ w, DQ b) -> Relu -> Q -> DQ -> Sigmoid -> Q -> DQ -> output
ir::Graph small_qdq_graph() {
  ir::Graph g;
  g.inputs.push_back({.name = "x", .dtype = DType::Float32, .dims = {{.size = -1, .symbol = "N"}, {.size = 4}}, .has_shape = true});
  g.outputs.push_back(test::value("out"));
  g.outputs.push_back({.name = "hq", .dtype = DType::UInt8});
  auto scalar_f = [&](const std::string& n, float v) { g.initializers[n] = Tensor::scalar<float>(v); };
  scalar_f("sx", 0.02f);
  g.initializers["zx"] = Tensor::scalar<uint8_t>(128);
  g.initializers["wq"] = Tensor::from_vector<int8_t>({4, 3}, {10, -20, 30, -40, 50, -60, 70, -80, 90, -100, 110, -120});
  g.initializers["sw"] = Tensor::from_vector<float>({3}, {0.01f, 0.02f, 0.005f});
  g.initializers["zw"] = Tensor::from_vector<int8_t>({3}, {0, 0, 0});
  // bias scale = sx * sw (float32 products), as quantizers write it
  g.initializers["bq"] = Tensor::from_vector<int32_t>({3}, {500, -300, 1000});
  g.initializers["sb"] = Tensor::from_vector<float>({3}, {0.02f * 0.01f, 0.02f * 0.02f, 0.02f * 0.005f});
  g.initializers["zb"] = Tensor::from_vector<int32_t>({3}, {0, 0, 0});
  scalar_f("sh", 0.05f);
  g.initializers["zh"] = Tensor::scalar<uint8_t>(0);
  scalar_f("so", 1.0f / 255);
  g.initializers["zo"] = Tensor::scalar<uint8_t>(0);
  auto axis = [](int64_t a, ir::Node n) {
    n.attributes["axis"] = int_attribute(a);
    return n;
  };
  g.nodes = {
      test::node("qx", "QuantizeLinear", {"x", "sx", "zx"}, {"xq"}),
      test::node("dqx", "DequantizeLinear", {"xq", "sx", "zx"}, {"xd"}),
      axis(1, test::node("dqw", "DequantizeLinear", {"wq", "sw", "zw"}, {"wd"})),
      axis(0, test::node("dqb", "DequantizeLinear", {"bq", "sb", "zb"}, {"bd"})),
      test::node("fc", "Gemm", {"xd", "wd", "bd"}, {"h"}),
      test::node("relu", "Relu", {"h"}, {"hr"}),
      test::node("qh", "QuantizeLinear", {"hr", "sh", "zh"}, {"hq"}),
      test::node("dqh", "DequantizeLinear", {"hq", "sh", "zh"}, {"hd"}),
      test::node("sig", "Sigmoid", {"hd"}, {"s"}),
      test::node("qo", "QuantizeLinear", {"s", "so", "zo"}, {"oq"}),
      test::node("dqo", "DequantizeLinear", {"oq", "so", "zo"}, {"out"}),
  };
  ir::validate_and_sort(g);
  return g;
}

}  // namespace

TEST_CASE("the rewrite runs a QDQ graph in integers, within one step of its float arithmetic", "[emulate]") {
  const ir::Graph qdq = small_qdq_graph();
  ir::Graph integer = qdq;
  const std::vector<emulate::NodeExecution> report = emulate::rewrite_for_integers(integer);
  REQUIRE(report.size() == 2);
  CHECK(report[0].node == "fc");
  CHECK(report[0].how == emulate::Execution::Integer);
  CHECK(report[0].detail == "int32 accumulator, per-channel multipliers, Relu as a clamp");
  CHECK(report[1].node == "sig");
  CHECK(report[1].how == emulate::Execution::Table);
  CHECK(emulate::summarize(report) == "1 in integers (Gemm), 1 by table (Sigmoid)");
  std::vector<std::string> ops;
  for (const ir::Node& n : integer.nodes) ops.push_back(n.op_type);
  CHECK(ops == std::vector<std::string>{"QuantizeLinear", "IntegerGemm", "TableLookup", "DequantizeLinear"});

  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-2.5f, 2.5f);
  std::vector<float> xs(4 * 500);
  for (float& v : xs) v = u(rng);
  const interp::TensorMap in{{"x", Tensor::from_vector<float>({500, 4}, xs)}};
  const interp::TensorMap want = interp::Interpreter(qdq).run(in), got = interp::Interpreter(integer).run(in);
  // The Gemm's output: within one step of the float arithmetic, and equal but for rare rounding ties.
  const std::vector<int64_t> want_h = want.at("hq").to_int64_vector(), got_h = got.at("hq").to_int64_vector();
  int equal = 0;
  for (size_t i = 0; i < want_h.size(); ++i) {
    CHECK(std::abs(want_h[i] - got_h[i]) <= 1);
    equal += want_h[i] == got_h[i];
  }
  CHECK(equal >= static_cast<int>(want_h.size()) - 3);
  // The table gives exactly the float Sigmoid then QuantizeLinear wherever its input agrees.
  const std::vector<float> want_o = want.at("out").to_float_vector(), got_o = got.at("out").to_float_vector();
  for (size_t i = 0; i < want_o.size(); ++i)
    if (want_h[i] == got_h[i]) CHECK(want_o[i] == got_o[i]);
}

TEST_CASE("the rewrite refuses a model without quantized activations", "[emulate]") {
  ir::Graph g;
  g.inputs.push_back(test::value("x"));
  g.outputs.push_back(test::value("y"));
  g.nodes = {test::node("relu", "Relu", {"x"}, {"y"})};
  ir::validate_and_sort(g);
  CHECK_THROWS_AS(emulate::rewrite_for_integers(g), Error);
}
