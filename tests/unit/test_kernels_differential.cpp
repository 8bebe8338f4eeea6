// Fast kernel paths (im2col + oneDNN sgemm, depthwise, pointwise, threaded) against the plain
// nested-loop reference paths, on seeded random data (ncnn-style differential tests).
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <string_view>
#include <random>

#include "interp/interpreter.h"
#include "ops/direct_conv.h"
#include "ops/kernels.h"
#include "ops/node_cache.h"
#include "ops/onednn_util.h"
#include "ops/product_as_conv.h"
#include "ops/small_matmul.h"
#include "ops/vector_math.h"
#include "small_graphs.h"

using namespace quant;

namespace {

ir::Attribute ints(std::vector<int64_t> v) { ir::Attribute a; a.kind = ir::AttrKind::Ints; a.ints = v; return a; }
ir::Attribute one(int64_t i) { ir::Attribute a; a.kind = ir::AttrKind::Int; a.i = i; return a; }

void require_close(const Tensor& fast_any_layout, const Tensor& ref) {
  const Tensor fast = fast_any_layout.to_plain();
  REQUIRE(ref.layout() == Layout::Plain);
  REQUIRE(fast.shape() == ref.shape());
  for (int64_t i = 0; i < ref.numel(); ++i)
    REQUIRE(fast.data<float>()[i] == Approx(ref.data<float>()[i]).margin(1e-4).epsilon(1e-4));
}

// quant's own Conv loops (direct_conv.h) on x [N, C, ...], called directly: Conv takes oneDNN on
// CPUs where it has AVX-512 kernels. The result in channels-last.
Tensor run_direct_conv(const ir::Node& node, const Tensor& x, const Tensor& w, const Tensor& b, const ops::FusedClamp& clamp, const Shape& y_shape) {
  const ops::ConvGeometry g = ops::conv_geometry(node, x, w);
  REQUIRE(ops::direct_conv_applies(g));
  const std::vector<float> packed = ops::pack_direct_conv_weights(g, w.data<float>());
  const Tensor x_channels_last = x.to_layout(Layout::ChannelsLast);
  Tensor y(DType::Float32, y_shape, Init::Uninitialized, Layout::ChannelsLast);
  ops::direct_conv(g, x_channels_last.data<float>(), packed.data(), b.data<float>(), clamp, y.data<float>());
  return y;
}

struct ConvCase {
  const char* name;
  Shape x, w;
  int64_t group;
  std::vector<int64_t> strides, pads, dilations;
};

}  // namespace

TEST_CASE("Conv fast paths equal the reference", "[kernels][conv]") {
  const ConvCase cases[] = {
      {"3x3 pad 1", {2, 3, 9, 9}, {8, 3, 3, 3}, 1, {1, 1}, {1, 1, 1, 1}, {1, 1}},
      {"strided, asymmetric pads", {1, 4, 10, 7}, {5, 4, 3, 2}, 1, {2, 3}, {1, 0, 2, 1}, {1, 1}},
      {"dilated", {1, 2, 11, 11}, {3, 2, 3, 3}, 1, {1, 1}, {0, 0, 0, 0}, {2, 3}},
      {"grouped", {2, 6, 8, 8}, {9, 2, 3, 3}, 3, {1, 1}, {1, 1, 1, 1}, {1, 1}},
      {"depthwise", {2, 8, 7, 7}, {8, 1, 3, 3}, 8, {2, 2}, {1, 1, 1, 1}, {1, 1}},
      {"depthwise multiplier 2", {1, 4, 6, 6}, {8, 1, 3, 3}, 4, {1, 1}, {1, 1, 1, 1}, {1, 1}},
      {"pointwise", {3, 16, 5, 5}, {7, 16, 1, 1}, 1, {1, 1}, {0, 0, 0, 0}, {1, 1}},
      {"1-D", {2, 3, 20}, {4, 3, 5}, 1, {2}, {2, 1}, {1}},
      {"3-D", {1, 2, 5, 6, 4}, {3, 2, 3, 3, 2}, 1, {1, 2, 1}, {1, 1, 0, 1, 1, 1}, {1, 1, 1}},
      // Exactly 16 output channels: oneDNN may write them in blocks of 16 (onednn_conv.cpp).
      {"16 out, one input channel", {2, 1, 9, 9}, {16, 1, 3, 3}, 1, {1, 1}, {1, 1, 1, 1}, {1, 1}},
      {"16 out, 1-D", {2, 3, 20}, {16, 3, 3}, 1, {1}, {1, 1}, {1}},
      {"16 out, 3-D", {1, 2, 5, 6, 4}, {16, 2, 3, 3, 2}, 1, {1, 2, 1}, {1, 1, 0, 1, 1, 1}, {1, 1, 1}},
      // quant's own loops (direct_conv.h): blocks of 16 and a last 8 output channels, pixel blocks
      // that span rows and a tail, strides, dilations, asymmetric pads, 1x1, 1-D and 3-D.
      {"direct 3x3, 16 -> 24 channels", {2, 16, 9, 11}, {24, 16, 3, 3}, 1, {1, 1}, {1, 1, 1, 1}, {1, 1}},
      {"direct strided, dilated, asymmetric pads", {1, 8, 13, 10}, {16, 8, 3, 2}, 1, {2, 1}, {1, 0, 2, 1}, {2, 1}},
      {"direct 2x2 stride 2, no padding", {2, 32, 7, 7}, {48, 32, 2, 2}, 1, {2, 2}, {0, 0, 0, 0}, {1, 1}},
      {"direct 1-D", {2, 8, 30}, {8, 8, 5}, 1, {1}, {2, 2}, {1}},
      {"direct 1-D, one input channel, stride 4", {2, 1, 41}, {16, 1, 9}, 1, {4}, {4, 4}, {1}},
      {"direct 3-D", {1, 8, 4, 5, 6}, {16, 8, 3, 3, 3}, 1, {1, 1, 2}, {1, 1, 1, 1, 0, 1}, {1, 1, 1}},
      // A block's weights (16 x 32 x 9 floats) outweigh a padded image (6 x 7 x 32): block-major order.
      {"direct, weights larger than an image", {3, 32, 4, 5}, {40, 32, 3, 3}, 1, {1, 1}, {1, 1, 1, 1}, {1, 1}},
  };
  std::mt19937 rng(42);
  for (const ConvCase& c : cases) {
    SECTION(c.name) {
      ir::Node node;
      node.name = c.name;
      node.op_type = "Conv";
      node.attributes = {{"group", one(c.group)}, {"strides", ints(c.strides)}, {"pads", ints(c.pads)}, {"dilations", ints(c.dilations)}};
      const Tensor x = test::random_floats(c.x, rng), w = test::random_floats(c.w, rng), b = test::random_floats({c.w[0]}, rng);
      const ops::Inputs in{&x, &w, &b};
      const Tensor reference = ops::conv_kernel(node, in, {.reference = true})[0];
      require_close(ops::conv_kernel(node, in, {.reference = false})[0], reference);
      // The "direct" cases are there to run quant's own loops (on a CPU that has them).
      if (std::string_view(c.name).starts_with("direct") && ops::direct_conv_cpu_supported()) {
        const Tensor batch = run_direct_conv(node, x, w, b, {}, reference.shape());
        require_close(batch, reference);
        // Each image alone (image-major order, nothing shared) gives the same bits as in the batch
        // (block-major for some of these cases): results do not depend on the batch.
        const int64_t in_image = x.numel() / x.dim(0), out_image = batch.numel() / batch.dim(0);
        for (int64_t n = 0; n < x.dim(0); ++n) {
          Shape one_x = x.shape(), one_y = reference.shape();
          one_x[0] = one_y[0] = 1;
          Tensor image(DType::Float32, one_x);
          std::copy_n(x.data<float>() + n * in_image, in_image, image.data<float>());
          const Tensor alone = run_direct_conv(node, image, w, b, {}, one_y);
          REQUIRE(std::equal(alone.data<float>(), alone.data<float>() + out_image, batch.data<float>() + n * out_image));
        }
      }
    }
  }
}

TEST_CASE("quant's own Conv loops take dense convolutions whose padded image fits 32 MiB", "[kernels][conv]") {
  if (!ops::direct_conv_cpu_supported()) return;  // nothing to choose: oneDNN runs all
  ops::ConvGeometry g;
  g.batch = 1, g.in_channels = 8, g.out_channels = 16;
  g.window.in = {1, 1100, 1100};
  g.window.kernel = {1, 3, 3};
  CHECK(ops::direct_conv_applies(g));  // no padding: read in place, nothing held
  g.window.pad_begin = {0, 1, 1}, g.window.pad_end = {0, 1, 1};
  CHECK_FALSE(ops::direct_conv_applies(g));  // 1102 x 1102 x 8 floats: 38.9 MB per thread
  g.window.in = {1, 1000, 1000};
  CHECK(ops::direct_conv_applies(g));  // 32.1 MB
  g.group = 2;
  CHECK_FALSE(ops::direct_conv_applies(g));
  g.group = 1, g.out_channels = 12;
  CHECK_FALSE(ops::direct_conv_applies(g));
  g.out_channels = 16, g.in_channels = 4;
  CHECK_FALSE(ops::direct_conv_applies(g));  // fewer than 8 input channels in 2-D: oneDNN
  g.spatial_rank = 1, g.window.in = {1, 1, 1000}, g.window.kernel = {1, 1, 9};
  CHECK(ops::direct_conv_applies(g));  // ... but not in 1-D
  g.spatial_rank = 2, g.in_channels = 8, g.window.kernel = {1, 1, 1};
  CHECK_FALSE(ops::direct_conv_applies(g));
}

TEST_CASE("channels-last MaxPool skips NaN inputs as the reference loops do", "[kernels][pool]") {
  // (larger(acc, x) keeps acc when x is NaN: a window's maximum is that of its other values.)
  std::mt19937 rng(8);
  Tensor x = test::random_floats({2, 19, 6, 6}, rng);
  for (const int64_t i : {0, 7, 100, 333, 700, 1350}) x.data<float>()[i] = std::numeric_limits<float>::quiet_NaN();
  ir::Node pool;
  pool.op_type = "MaxPool";
  pool.attributes = {{"kernel_shape", ints({3, 3})}, {"strides", ints({2, 2})}, {"pads", ints({1, 1, 1, 1})}};
  const Tensor channels_last = x.to_layout(Layout::ChannelsLast);
  const Tensor fast = ops::max_pool_kernel(pool, {&channels_last}, {})[0].to_plain();
  ops::KernelConfig reference;
  reference.reference = true;
  const Tensor ref = ops::max_pool_kernel(pool, {&x}, reference)[0];
  for (int64_t i = 0; i < ref.numel(); ++i) {
    REQUIRE_FALSE(std::isnan(ref.data<float>()[i]));
    REQUIRE(fast.data<float>()[i] == ref.data<float>()[i]);
  }
}

TEST_CASE("a clamp fused into quant's own Conv loops clamps like apply_clamp, NaN kept", "[kernels][conv][fusion]") {
  // (oneDNN's fused clamp turns NaN into a bound: interpreter.h.)
  if (!ops::direct_conv_cpu_supported()) return;
  std::mt19937 rng(5);
  ir::Node node;
  node.name = "conv";
  node.op_type = "Conv";
  node.attributes = {{"pads", ints({1, 1, 1, 1})}};
  Tensor x = test::random_floats({1, 8, 5, 6}, rng);
  x.data<float>()[7] = std::numeric_limits<float>::quiet_NaN();
  const Tensor w = test::random_floats({16, 8, 3, 3}, rng), b = test::random_floats({16}, rng);
  const ops::FusedClamp clamp{true, -0.25f, 0.5f};
  Tensor ref = ops::conv_kernel(node, {&x, &w, &b}, {.reference = true})[0];
  const Tensor fused = run_direct_conv(node, x, w, b, clamp, ref.shape()).to_plain();
  ops::apply_clamp(ref, clamp);
  int nans = 0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    const float f = fused.data<float>()[i], r = ref.data<float>()[i];
    if (std::isnan(r)) {
      REQUIRE(std::isnan(f));
      ++nans;
    } else {
      REQUIRE(f == Approx(r).margin(1e-4));
    }
  }
  CHECK(nans > 0);
}

TEST_CASE("ConvTranspose, Gemm and MatMul sgemm paths equal the reference", "[kernels][gemm]") {
  std::mt19937 rng(7);
  SECTION("ConvTranspose strided, grouped") {
    ir::Node node;
    node.op_type = "ConvTranspose";
    node.attributes = {{"group", one(2)}, {"strides", ints({2, 2})}, {"pads", ints({1, 0, 0, 1})}, {"output_padding", ints({1, 1})}};
    const Tensor x = test::random_floats({2, 4, 5, 5}, rng), w = test::random_floats({4, 3, 3, 3}, rng), b = test::random_floats({6}, rng);
    const ops::Inputs in{&x, &w, &b};
    const Tensor fast = ops::conv_transpose_kernel(node, in, {})[0];
    CHECK(fast.shape() == Shape{2, 6, 11, 11});  // 2*(5-1) + 1 + 3 - 1 - 0 = 11; 2*4 + 1 + 3 - 0 - 1 = 11
    require_close(fast, ops::conv_transpose_kernel(node, in, {.reference = true})[0]);
  }
  SECTION("Gemm transB with bias row") {
    ir::Node node;
    node.op_type = "Gemm";
    node.attributes = {{"transB", one(1)}};
    const Tensor a = test::random_floats({17, 33}, rng), b = test::random_floats({9, 33}, rng), c = test::random_floats({9}, rng);
    const ops::Inputs in{&a, &b, &c};
    require_close(ops::gemm_kernel(node, in, {})[0], ops::gemm_kernel(node, in, {.reference = true})[0]);
  }
  SECTION("MatMul with broadcast batch") {
    ir::Node node;
    node.op_type = "MatMul";
    const Tensor a = test::random_floats({3, 1, 4, 6}, rng), b = test::random_floats({2, 6, 5}, rng);
    const ops::Inputs in{&a, &b};
    const Tensor fast = ops::matmul_kernel(node, in, {})[0];
    CHECK(fast.shape() == Shape{3, 2, 4, 5});
    require_close(fast, ops::matmul_kernel(node, in, {.reference = true})[0]);
  }
}

TEST_CASE("small MatMuls (attention's) in quant's own loops equal the reference", "[kernels][gemm]") {
  // Rows in blocks of 4 and the rest, columns in blocks of 16 and a masked tail of 1-15, sizes
  // on both sides of kSmallMatmulWork (the larger ones run on sgemm), batches of products.
  std::mt19937 rng(17);
  CHECK(ops::small_matmul_applies(16, 16, 16) == ops::vector_math_supported());
  CHECK_FALSE(ops::small_matmul_applies(64, 64, 64));
  for (const int64_t m : {1, 3, 4, 9, 16})
    for (const int64_t n : {1, 7, 8, 9, 16, 17, 40})
      for (const int64_t k : {1, 5, 16, 64}) {
        INFO(m << "x" << k << " times " << k << "x" << n);
        ir::Node node;
        node.op_type = "MatMul";
        const Tensor a = test::random_floats({2, 3, m, k}, rng), b = test::random_floats({2, 3, k, n}, rng);
        const ops::Inputs in{&a, &b};
        require_close(ops::matmul_kernel(node, in, {})[0], ops::matmul_kernel(node, in, {.reference = true})[0]);
      }
  // The kernel with rows further apart than their length (a view of wider matrices).
  if (!ops::small_matmul_applies(5, 18, 7)) return;
  const Tensor a = test::random_floats({5, 9}, rng), b = test::random_floats({7, 20}, rng);
  std::vector<float> c(5 * 21, -1.0f);
  ops::small_matmul(a.data<float>(), 9, b.data<float>(), 20, c.data(), 21, 5, 18, 7);
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t j = 0; j < 21; ++j) {
      double want = 0;
      for (int64_t p = 0; p < 7; ++p) want += static_cast<double>(a.data<float>()[i * 9 + p]) * b.data<float>()[p * 20 + j];
      INFO(i << ", " << j);
      REQUIRE(c[static_cast<size_t>(i * 21 + j)] == (j < 18 ? Approx(want).margin(1e-5) : Approx(-1.0)));  // columns past n untouched
    }
}

TEST_CASE("Gemm and MatMul with constant weights run as 1x1 convolutions and equal the reference", "[kernels][gemm]") {
  // As the interpreter runs them: a node cache and B marked constant (product_as_conv.h). Each
  // node runs twice at one size (the second run takes the cached primitive and weights) and once
  // at another (a new primitive from the same weights).
  std::mt19937 rng(11);
  ir::Attribute real;
  real.kind = ir::AttrKind::Float;
  struct GemmCase {
    const char* name;
    bool trans_b;
    Shape c;  // empty: no C
    float alpha, beta;
  };
  for (const GemmCase& gc : {GemmCase{"B^T, C [N]", true, {10}, 1, 1}, GemmCase{"B, C [1, N]", false, {1, 10}, 1, 1},
                             GemmCase{"B, no C", false, {}, 1, 1}, GemmCase{"beta 0", true, {10}, 1, 0},
                             // not fully connected layers: sgemm
                             GemmCase{"C [M, N]", true, {7, 10}, 1, 1}, GemmCase{"alpha 2", true, {10}, 2, 1}, GemmCase{"beta 0.5", false, {10}, 1, 0.5f}}) {
    SECTION(std::string("Gemm ") + gc.name) {
      ir::Node node;
      node.op_type = "Gemm";
      real.f = gc.alpha;
      node.attributes = {{"transB", one(gc.trans_b ? 1 : 0)}, {"alpha", real}};
      real.f = gc.beta;
      node.attributes["beta"] = real;
      const Tensor b = test::random_floats(gc.trans_b ? Shape{10, 33} : Shape{33, 10}, rng);
      ops::NodeCache cache;
      ops::KernelConfig config;
      config.cache = &cache;
      config.constant_inputs = 0b110;
      for (const int64_t m : {7, 7, 3}) {
        const Tensor a = test::random_floats({m, 33}, rng);
        const Tensor c = gc.c.empty() ? Tensor() : test::random_floats(gc.c.size() == 2 && gc.c[0] == 7 ? Shape{m, 10} : gc.c, rng);
        const ops::Inputs in = gc.c.empty() ? ops::Inputs{&a, &b} : ops::Inputs{&a, &b, &c};
        const Tensor fast = ops::gemm_kernel(node, in, config)[0];
        CHECK(fast.shape() == Shape{m, 10});
        require_close(fast, ops::gemm_kernel(node, in, {.reference = true})[0]);
      }
    }
  }
  for (const Shape& a_shape : {Shape{2, 3, 5, 7}, Shape{7}, Shape{1, 7}, Shape{4, 7}}) {
    SECTION("MatMul A " + shape_to_string(a_shape)) {
      ir::Node node;
      node.op_type = "MatMul";
      const Tensor b = test::random_floats({7, 12}, rng);
      ops::NodeCache cache;
      ops::KernelConfig config;
      config.cache = &cache;
      config.constant_inputs = 0b10;
      for (int run = 0; run < 2; ++run) {
        const Tensor a = test::random_floats(a_shape, rng);
        const ops::Inputs in{&a, &b};
        const Tensor fast = ops::matmul_kernel(node, in, config)[0];
        Shape expected(a_shape.begin(), a_shape.end() - 1);
        expected.push_back(12);
        CHECK(fast.shape() == expected);
        require_close(fast, ops::matmul_kernel(node, in, {.reference = true})[0]);
      }
    }
  }
  SECTION("product_as_conv takes only a constant 2-D B in an interpreter run") {
    ops::NodeCache cache;
    const Tensor b = test::random_floats({4, 5}, rng), b3 = test::random_floats({2, 4, 5}, rng);
    CHECK(ops::product_as_conv_applies(b, {.cache = &cache, .constant_inputs = 0b10}));
    CHECK_FALSE(ops::product_as_conv_applies(b, {.cache = &cache, .constant_inputs = 0b01}));  // B computed
    CHECK_FALSE(ops::product_as_conv_applies(b, {.constant_inputs = 0b10}));                   // no cache: a direct call
    CHECK_FALSE(ops::product_as_conv_applies(b, {.reference = true, .cache = &cache, .constant_inputs = 0b10}));
    CHECK_FALSE(ops::product_as_conv_applies(b3, {.cache = &cache, .constant_inputs = 0b10}));
  }
}

TEST_CASE("layout conversion round trip", "[tensor]") {
  std::mt19937 rng(3);
  const Tensor x = test::random_floats({2, 3, 4, 5}, rng);
  const Tensor cl = x.to_layout(Layout::ChannelsLast);
  CHECK(cl.layout() == Layout::ChannelsLast);
  CHECK(cl.shape() == x.shape());
  // Element (n=1, c=2, h=3, w=4) sits at ((1*4 + 3)*5 + 4)*3 + 2 in NHWC.
  CHECK(cl.data<float>()[((1 * 4 + 3) * 5 + 4) * 3 + 2] == x.data<float>()[((1 * 3 + 2) * 4 + 3) * 5 + 4]);
  const Tensor back = cl.to_plain();
  for (int64_t i = 0; i < x.numel(); ++i) REQUIRE(back.data<float>()[i] == x.data<float>()[i]);
  // A plain [M, K] matrix seen as the channels-last image [1, K, M, 1]: the same bytes, so its
  // plain form is the matrix transposed.
  const Tensor matrix = test::random_floats({6, 4}, rng);
  const Tensor image = matrix.viewed_as({1, 4, 6, 1}, Layout::ChannelsLast);
  CHECK(image.data<float>() == matrix.data<float>());
  const Tensor transposed = image.to_plain();
  for (int64_t m = 0; m < 6; ++m)
    for (int64_t k = 0; k < 4; ++k) REQUIRE(transposed.data<float>()[k * 6 + m] == matrix.data<float>()[m * 4 + k]);
  CHECK_THROWS(matrix.viewed_as({5, 5}, Layout::Plain));
  // Blocks of 8 channels: [N, C/8, H, W, 8]. Element (n=1, c=13, h=2, w=3) of [2, 16, 3, 4] sits
  // in block 1, at ((1*2 + 1)*3 + 2)*4 + 3 pixels of 8, lane 13 - 8 = 5.
  const Tensor x16 = test::random_floats({2, 16, 3, 4}, rng);
  const Tensor blocks = x16.to_layout(Layout::ChannelBlocks8);
  CHECK(blocks.layout() == Layout::ChannelBlocks8);
  CHECK(blocks.data<float>()[(((1 * 2 + 1) * 3 + 2) * 4 + 3) * 8 + 5] == x16.data<float>()[((1 * 16 + 13) * 3 + 2) * 4 + 3]);
  for (const Layout from : {Layout::ChannelBlocks8, Layout::ChannelsLast})
    for (const Layout to : {Layout::Plain, Layout::ChannelsLast, Layout::ChannelBlocks8}) {
      const Tensor there = x16.to_layout(from).to_layout(to);
      CHECK(there.layout() == to);
      const Tensor plain = there.to_plain();
      for (int64_t i = 0; i < x16.numel(); ++i) REQUIRE(plain.data<float>()[i] == x16.data<float>()[i]);
    }
  CHECK_THROWS(Tensor(DType::Float32, {1, 12, 2, 2}, Init::Zero, Layout::ChannelBlocks8));  // 12 channels: no whole blocks
}

TEST_CASE("layout changes move every element of every size to its place, whole 8 x 8 tiles and edges alike", "[kernels][layout]") {
  // Channels-last -> plain transposes each image's [S, C]: sizes around the 8 x 8 tiles (fewer
  // than 8, exact multiples, a tile plus an edge) in both dimensions, for 4-byte elements (the
  // tiled path) and 1-, 2- and 8-byte ones (element by element). Values are each element's plain
  // index, so a misplaced element shows.
  for (const DType dtype : {DType::Float32, DType::Int32, DType::UInt8, DType::Float16, DType::Int64})
    for (const int64_t c : {1, 3, 8, 16, 19})
      for (const int64_t hw : {1, 2, 3, 4, 5}) {
        const Shape shape{2, c, hw, hw + 1};
        Tensor plain(dtype, shape, Init::Zero);
        const int64_t n = plain.numel();
        const size_t elem = dtype_size(dtype);
        for (int64_t i = 0; i < n; ++i) std::memcpy(plain.raw() + static_cast<size_t>(i) * elem, &i, elem);  // little-endian: the index's low bytes
        const Tensor cl = plain.to_layout(Layout::ChannelsLast);
        const int64_t s = hw * (hw + 1);
        for (int64_t b = 0; b < 2; ++b)
          for (int64_t ch = 0; ch < c; ++ch)
            for (int64_t p = 0; p < s; ++p)
              REQUIRE(std::memcmp(cl.raw() + static_cast<size_t>((b * s + p) * c + ch) * elem, plain.raw() + static_cast<size_t>((b * c + ch) * s + p) * elem, elem) == 0);
        const Tensor back = cl.to_plain();
        REQUIRE(std::memcmp(back.raw(), plain.raw(), static_cast<size_t>(n) * elem) == 0);
      }
  // A float NaN's payload crosses the tiles unchanged (the tiles only move bits).
  Tensor x(DType::Float32, {1, 8, 4, 4}, Init::Zero);
  const uint32_t payload = 0x7fc01234u;
  std::memcpy(x.raw() + 4 * 37, &payload, 4);
  const Tensor round_trip = x.to_layout(Layout::ChannelsLast).to_plain();
  CHECK(std::memcmp(round_trip.raw(), x.raw(), x.nbytes()) == 0);
}

TEST_CASE("chains of depthwise and 1x1 convolutions run in blocks of 8 channels where every reader takes them", "[kernels][layout]") {
  // x -> expand (1x1) -> Clip -> depthwise -> Relu -> project (1x1) -> Add(project, skip) -> MaxPool
  //                                                                       skip = 1x1 of x
  // and a second depthwise Conv of the expansion, read by GlobalAveragePool; a grouped Conv (4
  // groups of 8) of the expansion, read by GlobalMaxPool; a first Conv of a 3-channel image into 16,
  // then a depthwise one, then GlobalAveragePool.
  std::mt19937 rng(21);
  ir::Graph g;
  g.inputs.push_back(test::value("x"));
  g.inputs.push_back(test::value("rgb"));
  for (const char* out : {"pooled", "dw_mean", "g4_max", "f_mean"}) g.outputs.push_back(test::value(out));
  g.initializers["w_g4"] = test::random_floats({32, 8, 3, 3}, rng);
  g.initializers["w_first"] = test::random_floats({16, 3, 3, 3}, rng);
  g.initializers["w_first_dw"] = test::random_floats({16, 1, 3, 3}, rng);
  g.initializers["w_expand"] = test::random_floats({32, 8, 1, 1}, rng);
  g.initializers["w_dw"] = test::random_floats({32, 1, 3, 3}, rng);
  g.initializers["w_dw2"] = test::random_floats({32, 1, 3, 3}, rng);
  g.initializers["w_project"] = test::random_floats({16, 32, 1, 1}, rng);
  g.initializers["w_skip"] = test::random_floats({16, 8, 1, 1}, rng);
  g.initializers["lo"] = Tensor::scalar<float>(0.0f);
  g.initializers["hi"] = Tensor::scalar<float>(6.0f);
  auto grouped = [](ir::Node n, int64_t group) {
    n.attributes = {{"group", one(group)}, {"pads", ints({1, 1, 1, 1})}};
    return n;
  };
  ir::Node pool = test::node("pool", "MaxPool", {"sum"}, {"pooled"});
  pool.attributes = {{"kernel_shape", ints({2, 2})}, {"strides", ints({2, 2})}};
  g.nodes = {test::node("expand", "Conv", {"x", "w_expand"}, {"e"}), test::node("clip", "Clip", {"e", "lo", "hi"}, {"ec"}),
             grouped(test::node("dw", "Conv", {"ec", "w_dw"}, {"d"}), 32), test::node("relu", "Relu", {"d"}, {"dr"}),
             grouped(test::node("dw2", "Conv", {"ec", "w_dw2"}, {"d2"}), 32), test::node("gap", "GlobalAveragePool", {"d2"}, {"dw_mean"}),
             test::node("project", "Conv", {"dr", "w_project"}, {"p"}), test::node("skip", "Conv", {"x", "w_skip"}, {"s"}),
             test::node("add", "Add", {"p", "s"}, {"sum"}), pool,
             grouped(test::node("g4", "Conv", {"ec", "w_g4"}, {"g4"}), 4), test::node("g4max", "GlobalMaxPool", {"g4"}, {"g4_max"}),
             grouped(test::node("first", "Conv", {"rgb", "w_first"}, {"f"}), 1), grouped(test::node("first_dw", "Conv", {"f", "w_first_dw"}, {"fd"}), 16),
             test::node("f_gap", "GlobalAveragePool", {"fd"}, {"f_mean"})};
  for (ir::Node& n : g.nodes) n.opset = 13;
  const interp::Interpreter fast(g), reference(g, {.reference = true});
  const interp::TensorMap inputs{{"x", test::random_floats({2, 8, 9, 9}, rng)}, {"rgb", test::random_floats({2, 3, 9, 9}, rng)}};
  std::map<std::string, Layout> layout_of;
  const interp::TensorMap got = fast.run(inputs, [&](const ir::Node&, const std::string& name, const Tensor& t) { layout_of[name] = t.layout(); });
  const interp::TensorMap want = reference.run(inputs);
  for (const char* name : {"pooled", "dw_mean", "g4_max", "f_mean"}) {
    INFO(name);
    require_close(got.at(name), want.at(name));
  }
  if (!ops::onednn::channel_blocks_pay()) return;  // AVX-512 other than Zen 4's (or no AVX2): channels-last everywhere
  // Read only by kernels that take blocks: e, ec, d, dr, d2, g4, f, fd (Conv, Clip, Relu, Conv, and
  // the global pools, which end the chain: their results are plain).
  for (const char* name : {"e", "ec", "d", "dr", "d2", "g4", "f", "fd"}) {
    INFO(name);
    CHECK(layout_of.at(name) == Layout::ChannelBlocks8);
  }
  for (const char* name : {"dw_mean", "g4_max", "f_mean"}) CHECK(layout_of.at(name) == Layout::Plain);
  // p and s are read by an Add whose result MaxPool reads: written as before.
  for (const char* name : {"p", "s", "sum"}) {
    INFO(name);
    CHECK(layout_of.at(name) != Layout::ChannelBlocks8);
  }
}

TEST_CASE("channels-last tensors flow through pooling and activations like plain ones", "[kernels][layout]") {
  std::mt19937 rng(11);
  const Tensor x = test::random_floats({2, 5, 9, 8}, rng);
  const Tensor cl = x.to_layout(Layout::ChannelsLast);
  ir::Node pool;
  pool.op_type = "MaxPool";
  pool.attributes = {{"kernel_shape", ints({3, 2})}, {"strides", ints({2, 2})}, {"pads", ints({1, 0, 1, 1})}};
  // (A plain float input to pooling is converted to channels-last: the references run the loops.)
  require_close(ops::max_pool_kernel(pool, {&cl}, {})[0], ops::max_pool_kernel(pool, {&x}, {.reference = true})[0]);
  ir::Node avg = pool;
  avg.op_type = "AveragePool";
  avg.attributes["count_include_pad"] = one(1);
  require_close(ops::average_pool_kernel(avg, {&cl}, {})[0], ops::average_pool_kernel(avg, {&x}, {.reference = true})[0]);
  // The global pools fold a channel's values in the same order in every layout (in double): the
  // same bits, from channels-last and from blocks of 8 channels (16 channels: two blocks).
  ir::Node gap;
  gap.op_type = "GlobalAveragePool";
  const Tensor x16 = test::random_floats({2, 16, 9, 8}, rng), blocks = x16.to_layout(Layout::ChannelBlocks8);
  for (const auto kernel : {ops::global_average_pool_kernel, ops::global_max_pool_kernel}) {
    const Tensor from_cl = kernel(gap, {&cl}, {})[0], from_plain = kernel(gap, {&x}, {})[0];
    REQUIRE(from_cl.shape() == from_plain.shape());
    CHECK(std::memcmp(from_cl.raw(), from_plain.raw(), from_cl.nbytes()) == 0);
    const Tensor from_blocks = kernel(gap, {&blocks}, {})[0], from_plain16 = kernel(gap, {&x16}, {})[0];
    CHECK(from_blocks.layout() == Layout::Plain);
    REQUIRE(from_blocks.shape() == from_plain16.shape());
    CHECK(std::memcmp(from_blocks.raw(), from_plain16.raw(), from_blocks.nbytes()) == 0);
  }
  ir::Node relu;
  relu.op_type = "Relu";
  require_close(ops::unary_kernel(relu, {&cl}, {})[0], ops::unary_kernel(relu, {&x}, {})[0]);
  // Resize resamples a channels-last tensor in its stored order (the channel axis too).
  for (const char* mode : {"nearest", "linear"}) {
    ir::Node resize;
    resize.op_type = "Resize";
    resize.opset = 13;
    resize.attributes["mode"] = ir::Attribute{.kind = ir::AttrKind::String, .s = mode};
    const Tensor scales = Tensor::from_vector<float>({4}, {1.0f, 2.0f, 1.5f, 2.0f});
    const Tensor resized = ops::resize_kernel(resize, {&cl, nullptr, &scales}, {})[0];
    CHECK(resized.layout() == Layout::ChannelsLast);
    require_close(resized, ops::resize_kernel(resize, {&x, nullptr, &scales}, {})[0]);
  }
  // Add/Sub/Mul/Div: two channels-last inputs of one shape stay channels-last; a channels-last
  // input with a plain or broadcast one is made plain first.
  const Tensor y = test::random_floats({2, 5, 9, 8}, rng), y_cl = y.to_layout(Layout::ChannelsLast), bias = test::random_floats({5, 1, 1}, rng);
  ir::Node add;
  add.op_type = "Add";
  add.opset = 13;
  const Tensor both = ops::add_kernel(add, {&cl, &y_cl}, {})[0];
  CHECK(both.layout() == Layout::ChannelsLast);
  require_close(both, ops::add_kernel(add, {&x, &y}, {})[0]);
  require_close(ops::add_kernel(add, {&cl, &y}, {})[0], ops::add_kernel(add, {&x, &y}, {})[0]);
  require_close(ops::sub_kernel(add, {&cl, &bias}, {})[0], ops::sub_kernel(add, {&x, &bias}, {})[0]);
  require_close(ops::mul_kernel(add, {&y_cl, &cl}, {})[0], ops::mul_kernel(add, {&y, &x}, {})[0]);
  // Concat joins channels-last inputs in their stored order along any axis; a mix is joined plain.
  for (int64_t axis : {0, 1, 2, 3}) {
    ir::Node concat;
    concat.op_type = "Concat";
    concat.attributes["axis"] = one(axis);
    const Tensor want = ops::concat_kernel(concat, {&x, &y, &x}, {})[0];
    const Tensor joined = ops::concat_kernel(concat, {&cl, &y_cl, &cl}, {})[0];
    CHECK(joined.layout() == Layout::ChannelsLast);
    require_close(joined, want);
    require_close(ops::concat_kernel(concat, {&cl, &y, &cl}, {})[0], want);
  }
}

TEST_CASE("pooling on oneDNN, and channels-last MaxPool in the channel-vector loops, equals the reference loops", "[kernels][pool]") {
  std::mt19937 rng(5);
  struct PoolCase {
    const char* op;
    std::vector<int64_t> kernel, strides, pads, dilations;
    int64_t ceil_mode, include_pad;
  };
  const PoolCase cases[] = {
      {"MaxPool", {2, 2}, {2, 2}, {0, 0, 0, 0}, {}, 0, 0},
      {"MaxPool", {3, 3}, {2, 2}, {1, 1, 1, 1}, {}, 0, 0},
      {"MaxPool", {3, 3}, {2, 2}, {0, 0, 0, 0}, {}, 1, 0},    // ceil mode: a last window past the input
      {"MaxPool", {2, 2}, {1, 1}, {0, 0, 0, 0}, {2, 2}, 0, 0},  // dilated
      {"AveragePool", {3, 3}, {2, 2}, {1, 1, 1, 1}, {}, 0, 0},
      {"AveragePool", {3, 3}, {2, 2}, {1, 1, 1, 1}, {}, 0, 1},
      {"AveragePool", {3, 3}, {2, 2}, {0, 0, 0, 0}, {}, 1, 1},  // ceil mode with count_include_pad: the loops
  };
  // Channels-last float MaxPool goes in blocks of 32, 8 and 1 channels (pool.cpp, on AVX2): 1, 6,
  // 16 = 8 + 8, 19 = 8 + 8 + 3, 45 = 32 + 8 + 5. A plain float input is converted to channels-last
  // (one channel: seen as it, no copy).
  for (const PoolCase& c : cases)
    for (const int64_t channels : {1, 6, 16, 19, 45})
      for (Layout layout : {Layout::Plain, Layout::ChannelsLast}) {
        const Tensor x = test::random_floats({3, channels, 10, 9}, rng);
        const Tensor in = x.to_layout(layout);
        ir::Node pool;
        pool.op_type = c.op;
        pool.opset = 19;
        pool.attributes = {{"kernel_shape", ints(c.kernel)}, {"strides", ints(c.strides)}, {"pads", ints(c.pads)},
                           {"ceil_mode", one(c.ceil_mode)}, {"count_include_pad", one(c.include_pad)}};
        if (!c.dilations.empty()) pool.attributes["dilations"] = ints(c.dilations);
        const auto kernel = std::string(c.op) == "MaxPool" ? ops::max_pool_kernel : ops::average_pool_kernel;
        INFO(c.op << " kernel " << c.kernel[0] << " stride " << c.strides[0] << " ceil " << c.ceil_mode << " channels " << channels << " layout "
                  << static_cast<int>(layout));
        ops::KernelConfig reference;
        reference.reference = true;
        require_close(kernel(pool, {&in}, {})[0], kernel(pool, {&x}, reference)[0]);
      }
}

TEST_CASE("a Relu or constant Clip fused into its Conv gives the unfused values", "[kernels][fusion]") {
  std::mt19937 rng(9);
  ir::Graph g;
  g.inputs.push_back(test::value("x"));
  for (const char* out : {"relu_out", "clip_out", "conv_c"}) g.outputs.push_back(test::value(out));
  g.initializers["w"] = test::random_floats({8, 3, 3, 3}, rng);
  g.initializers["b"] = test::random_floats({8}, rng);
  g.initializers["lo"] = Tensor::scalar<float>(-0.25f);
  ir::Node hi = test::node("hi", "Constant", {}, {"hi"});  // a bound from a Constant node, as exports write it
  ir::Attribute value;
  value.kind = ir::AttrKind::Tensor;
  value.t = Tensor::scalar<float>(0.5f);
  hi.attributes["value"] = value;
  g.nodes = {test::node("conv_a", "Conv", {"x", "w", "b"}, {"a"}), test::node("relu", "Relu", {"a"}, {"relu_out"}),
             test::node("conv_b", "Conv", {"x", "w", "b"}, {"bb"}), hi, test::node("clip", "Clip", {"bb", "lo", "hi"}, {"clip_out"}),
             test::node("conv_c", "Conv", {"x", "w"}, {"conv_c"})};  // conv_c is a graph output: nothing to fuse
  const interp::Interpreter interpreter(g);
  const interp::TensorMap inputs{{"x", test::random_floats({2, 3, 7, 7}, rng)}};
  const interp::TensorMap fused = interpreter.run(inputs);
  int observed = 0;
  float a_min = 0;
  const interp::TensorMap unfused = interpreter.run(inputs, [&](const ir::Node&, const std::string& name, const Tensor& t) {
    ++observed;
    if (name == "a") a_min = *std::min_element(t.values<float>().begin(), t.values<float>().end());
  });
  CHECK(observed == 6);  // with an observer every tensor is produced, "a" and "bb" included
  CHECK(a_min < 0);      // unclamped, though the same node ran fused just before (its cached plan is per clamp)
  // An observer that does not need "a" (as calibration skips plan::fused_outputs): conv_a and relu
  // fuse, and the observer sees relu_out, under the Relu's name, with the unfused values.
  const std::set<std::string> unobserved{"a"};
  std::map<std::string, Tensor> seen;
  const interp::TensorMap partly = interpreter.run(
      inputs, [&](const ir::Node& n, const std::string& name, const Tensor& t) { seen[name + "@" + n.name] = t.to_plain(); }, &unobserved);
  CHECK(seen.size() == 5);
  CHECK_FALSE(seen.count("a@conv_a"));
  REQUIRE(seen.count("relu_out@relu"));
  for (int64_t i = 0; i < seen.at("relu_out@relu").numel(); ++i)
    REQUIRE(seen.at("relu_out@relu").data<float>()[i] == unfused.at("relu_out").data<float>()[i]);
  for (const char* name : {"relu_out", "clip_out", "conv_c"}) {
    INFO(name);
    const Tensor& f = fused.at(name);
    const Tensor& u = unfused.at(name);
    const Tensor& p = partly.at(name);
    REQUIRE(f.shape() == u.shape());
    for (int64_t i = 0; i < f.numel(); ++i) REQUIRE(f.data<float>()[i] == u.data<float>()[i]);
    for (int64_t i = 0; i < f.numel(); ++i) REQUIRE(p.data<float>()[i] == u.data<float>()[i]);
  }
  float lo = 1, hi_seen = -1;
  for (int64_t i = 0; i < fused.at("clip_out").numel(); ++i)
    lo = std::min(lo, fused.at("clip_out").data<float>()[i]), hi_seen = std::max(hi_seen, fused.at("clip_out").data<float>()[i]);
  CHECK(lo == -0.25f);
  CHECK(hi_seen == 0.5f);
}

namespace {

// y = GELU(x) as torch.onnx writes it: Div, Erf, Add, Mul, Mul; `swapped` puts every commutative
// node's operands the other way round; `constant_nodes` gives the constants as Constant nodes (a
// model not prepared) instead of initializers.
ir::Graph gelu_graph(bool swapped, bool constant_nodes) {
  ir::Graph g;
  g.inputs.push_back(test::value("x"));
  g.outputs.push_back(test::value("y"));
  const std::vector<std::pair<std::string, float>> constants = {{"sqrt2", 1.4142135f}, {"one", 1.0f}, {"half", 0.5f}};
  for (const auto& [name, v] : constants) {
    const Tensor t = Tensor::from_vector<float>({}, {v});
    if (!constant_nodes) {
      g.initializers[name] = t;
      continue;
    }
    ir::Node c = test::node(name + "_node", "Constant", {}, {name});
    ir::Attribute a;
    a.kind = ir::AttrKind::Tensor;
    a.t = t;
    c.attributes["value"] = a;
    g.nodes.push_back(c);
  }
  auto pair = [&](const std::string& a, const std::string& b) { return swapped ? std::vector<std::string>{b, a} : std::vector<std::string>{a, b}; };
  g.nodes.push_back(test::node("div", "Div", {"x", "sqrt2"}, {"d"}));
  g.nodes.push_back(test::node("erf", "Erf", {"d"}, {"e"}));
  g.nodes.push_back(test::node("plus1", "Add", pair("e", "one"), {"a"}));
  g.nodes.push_back(test::node("times", "Mul", pair("x", "a"), {"m"}));
  g.nodes.push_back(test::node("halve", "Mul", pair("m", "half"), {"y"}));
  return g;
}

}  // namespace

TEST_CASE("GELU as Div, Erf, Add, Mul, Mul runs as one pass with the five kernels' bits", "[kernels]") {
  std::mt19937 rng(11);
  // Values across erf's two formulas (|x / sqrt 2| below and above 1), tiny and huge ones, zeros
  // of both signs, infinities and NaN; 20,000 of them: several chunks of the pass, and a tail.
  Tensor x = test::random_floats({4, 5000}, rng, 8.0f);
  float* v = x.data<float>();
  const float specials[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 1e30f, -1e30f, INFINITY, -INFINITY, NAN, 1.4142135f, -1.4142135f, 3.4e38f};
  for (size_t k = 0; k < std::size(specials); ++k) v[k * 997] = specials[k];
  const std::set<std::string> interior = {"d", "e", "a", "m"};
  for (const bool swapped : {false, true})
    for (const bool constant_nodes : {false, true})
      for (const bool reference : {false, true}) {
        INFO("swapped " << swapped << ", Constant nodes " << constant_nodes << ", reference " << reference);
        const ir::Graph g = gelu_graph(swapped, constant_nodes);
        ops::KernelConfig config;
        config.reference = reference;
        const interp::Interpreter interpreter(g, config);
        // One by one: an observer that needs every value; as one pass: none, or one that needs
        // none of the interior (it then sees y under the last Mul's name, and no interior value).
        std::set<std::string> seen;
        const Tensor one_by_one = interpreter.run({{"x", x}}, [&](const ir::Node&, const std::string& name, const Tensor&) { seen.insert(name); }).at("y");
        CHECK(seen.count("d"));
        const Tensor fused = interpreter.run({{"x", x}}).at("y");
        std::set<std::string> seen_fused;
        const Tensor fused_observed = interpreter.run({{"x", x}}, [&](const ir::Node& n, const std::string& name, const Tensor&) {
          seen_fused.insert(name);
          if (name == "y") CHECK(n.name == "halve");
        }, &interior).at("y");
        CHECK(seen_fused.count("y"));
        for (const std::string& t : interior) CHECK_FALSE(seen_fused.count(t));
        REQUIRE(fused.shape() == one_by_one.shape());
        CHECK(std::memcmp(fused.raw(), one_by_one.raw(), fused.nbytes()) == 0);
        CHECK(std::memcmp(fused_observed.raw(), one_by_one.raw(), fused.nbytes()) == 0);
      }
}

TEST_CASE("a chain that is not GELU's form runs node by node", "[kernels]") {
  // The Add's constant has two values (broadcast along the last axis): no longer a scalar, so the
  // chain is left to its kernels, and the observer sees its interior even when told it need not.
  ir::Graph g = gelu_graph(false, false);
  g.initializers["one"] = Tensor::from_vector<float>({2}, {1.0f, 2.0f});
  const interp::Interpreter interpreter(g);
  std::mt19937 rng(3);
  const Tensor x = test::random_floats({3, 2}, rng, 2.0f);
  const std::set<std::string> interior = {"d", "e", "a", "m"};
  std::set<std::string> seen;
  const Tensor y = interpreter.run({{"x", x}}, [&](const ir::Node&, const std::string& name, const Tensor&) { seen.insert(name); }, &interior).at("y");
  CHECK(seen.count("d"));
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float xv = x.data<float>()[i];
    CHECK(y.data<float>()[i] == Approx(xv * 0.5f * (std::erf(xv / 1.4142135f) + (i % 2 ? 2.0f : 1.0f))).epsilon(1e-5));
  }
}
