// Window geometry and broadcasting, against hand-computed values.
#include <catch2/catch.hpp>

#include "core/shape.h"
#include "ops/window.h"

using namespace quant;

namespace {
ir::Node node_with(std::map<std::string, ir::Attribute> attrs) {
  ir::Node n;
  n.name = "pool";
  n.op_type = "MaxPool";
  n.attributes = std::move(attrs);
  return n;
}
ir::Attribute ints(std::vector<int64_t> v) { ir::Attribute a; a.kind = ir::AttrKind::Ints; a.ints = v; return a; }
ir::Attribute str(std::string s) { ir::Attribute a; a.kind = ir::AttrKind::String; a.s = s; return a; }
ir::Attribute one(int64_t i) { ir::Attribute a; a.kind = ir::AttrKind::Int; a.i = i; return a; }
}  // namespace

TEST_CASE("window: explicit pads and strides", "[window]") {
  // 28 wide, kernel 3, stride 2, pads 1/1: (28 + 2 - 3) / 2 + 1 = 14.
  const auto w = ops::compute_window(node_with({{"strides", ints({2, 2})}, {"pads", ints({1, 1, 1, 1})}}), {28, 28}, {3, 3}, false);
  CHECK(w.out[1] == 14);
  CHECK(w.out[2] == 14);
  CHECK(w.out[0] == 1);  // 2-D seen as 3-D
  CHECK(w.pad_begin[2] == 1);
}

TEST_CASE("window: SAME_UPPER and SAME_LOWER put the odd pad at the end or the beginning", "[window]") {
  // 5 wide, kernel 2, stride 1: out 5, total pad 1.
  auto upper = ops::compute_window(node_with({{"auto_pad", str("SAME_UPPER")}}), {5}, {2}, false);
  CHECK(upper.out[2] == 5);
  CHECK(upper.pad_begin[2] == 0);
  CHECK(upper.pad_end[2] == 1);
  auto lower = ops::compute_window(node_with({{"auto_pad", str("SAME_LOWER")}}), {5}, {2}, false);
  CHECK(lower.pad_begin[2] == 1);
  CHECK(lower.pad_end[2] == 0);
}

TEST_CASE("window: ceil mode drops a window that starts in the padding", "[window]") {
  // 5 wide, kernel 2, stride 2: floor -> 2, ceil -> 3.
  CHECK(ops::compute_window(node_with({{"strides", ints({2})}}), {5}, {2}, true).out[2] == 2);
  CHECK(ops::compute_window(node_with({{"strides", ints({2})}, {"ceil_mode", one(1)}}), {5}, {2}, true).out[2] == 3);
  // 4 wide, kernel 2, stride 2, pad end 1: ceil((4 + 1 - 2) / 2) + 1 = 3, but window 3 would start at 4 = in: dropped.
  CHECK(ops::compute_window(node_with({{"strides", ints({2})}, {"pads", ints({0, 1})}, {"ceil_mode", one(1)}}), {4}, {2}, true).out[2] == 2);
}

TEST_CASE("window: dilation widens the kernel", "[window]") {
  // 7 wide, kernel 3 with dilation 2 -> effective 5: out 3.
  CHECK(ops::compute_window(node_with({{"dilations", ints({2})}}), {7}, {3}, false).out[2] == 3);
  CHECK_THROWS_WITH(ops::compute_window(node_with({{"dilations", ints({4})}}), {7}, {3}, false), Catch::Contains("larger than the padded input"));
}

TEST_CASE("broadcast_shapes follows numpy", "[shape]") {
  CHECK(broadcast_shapes({8, 1, 6, 1}, {7, 1, 5}) == Shape{8, 7, 6, 5});
  CHECK(broadcast_shapes({}, {3}) == Shape{3});
  CHECK_THROWS_WITH(broadcast_shapes({2, 3}, {4}), Catch::Contains("[2, 3] and [4] do not broadcast"));
}
