// Transpose and Slice (one strided copy, ops/strided_copy.h), the sum reductions' float loops and
// Pow's one-exponent loop, each against an element-by-element computation written here or the
// kernel's general path; ConstantOfShape's fill, element by element.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>

#include "ops/kernels.h"
#include "ops/op_table.h"
#include "small_graphs.h"

using namespace quant;

namespace {

// x's element at a multi-index.
template <typename T>
T at(const Tensor& x, const std::vector<int64_t>& index) {
  int64_t flat = 0;
  for (size_t d = 0; d < index.size(); ++d) flat = flat * x.shape()[d] + index[d];
  return x.data<T>()[flat];
}

// Calls f(index) for every multi-index of `shape`, in row-major order.
template <class F>
void for_each_index(const Shape& shape, F&& f) {
  std::vector<int64_t> index(shape.size(), 0);
  for (int64_t i = 0; i < shape_numel(shape); ++i) {
    f(index);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
}

}  // namespace

TEST_CASE("Transpose moves every element where perm says, for every element size", "[kernels][movement]") {
  std::mt19937 rng(3);
  const std::vector<std::vector<int64_t>> perms = {{0, 2, 1, 3}, {0, 2, 3, 1}, {3, 2, 1, 0}, {1, 0, 2, 3}, {0, 1, 2, 3}};
  for (DType dtype : {DType::UInt8, DType::Int16, DType::Float32, DType::Int64})
    for (const Shape& shape : {Shape{2, 3, 4, 5}, Shape{1, 7, 1, 9}, Shape{4, 1, 6, 1}})
      for (const auto& perm : perms) {
        Tensor x(dtype, shape);
        for (size_t b = 0; b < static_cast<size_t>(x.numel()) * dtype_size(dtype); ++b) x.raw()[b] = static_cast<uint8_t>(rng());
        ir::Node node;
        node.op_type = "Transpose";
        node.attributes["perm"] = ir::ints_attribute(perm);
        const Tensor y = ops::transpose_kernel(node, {&x}, {})[0];
        const size_t elem = dtype_size(dtype);
        int64_t o = 0;
        for_each_index(y.shape(), [&](const std::vector<int64_t>& yi) {
          std::vector<int64_t> xi(4);
          for (size_t k = 0; k < 4; ++k) xi[static_cast<size_t>(perm[k])] = yi[k];
          int64_t flat = 0;
          for (size_t d = 0; d < 4; ++d) flat = flat * shape[d] + xi[d];
          REQUIRE(std::memcmp(y.raw() + static_cast<size_t>(o++) * elem, x.raw() + static_cast<size_t>(flat) * elem, elem) == 0);
        });
      }
}

TEST_CASE("Slice with steps, negative steps and size-1 axes takes the elements it names", "[kernels][movement]") {
  std::mt19937 rng(4);
  const Tensor x = test::random_floats({3, 8, 1, 10}, rng, 2.0f);
  struct Case {
    std::vector<int64_t> starts, ends, axes, steps;
  };
  const Case cases[] = {{{1, 2}, {3, 7}, {1, 3}, {1, 2}}, {{-1, 9}, {-9, 0}, {1, 3}, {-2, -3}}, {{0}, {2}, {0}, {1}}, {{0, 0}, {1, 10}, {2, 3}, {1, 1}}};
  for (const Case& c : cases) {
    auto list = [](const std::vector<int64_t>& v) { return Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v); };
    const Tensor starts = list(c.starts), ends = list(c.ends), axes = list(c.axes), steps = list(c.steps);
    ir::Node node;
    node.op_type = "Slice";
    node.opset = 13;
    const Tensor y = ops::slice_kernel(node, {&x, &starts, &ends, &axes, &steps}, {})[0];
    // Where each output index reads: begin + i * step on the sliced axes (begin clamped as ONNX says).
    std::vector<int64_t> begin(4, 0), step(4, 1);
    for (size_t i = 0; i < c.axes.size(); ++i) {
      const size_t a = static_cast<size_t>(c.axes[i]);
      const int64_t dim = x.shape()[a];
      const int64_t b = c.starts[i] < 0 ? c.starts[i] + dim : c.starts[i];
      begin[a] = c.steps[i] > 0 ? std::clamp<int64_t>(b, 0, dim) : std::clamp<int64_t>(b, 0, dim - 1);
      step[a] = c.steps[i];
    }
    int64_t o = 0;
    for_each_index(y.shape(), [&](const std::vector<int64_t>& yi) {
      std::vector<int64_t> xi(4);
      for (size_t d = 0; d < 4; ++d) xi[d] = begin[d] + yi[d] * step[d];
      REQUIRE(y.data<float>()[o++] == at<float>(x, xi));
    });
  }
}

TEST_CASE("sum reductions of float32 over consecutive axes equal the general loop", "[kernels][reduce]") {
  std::mt19937 rng(6);
  const Tensor x = test::random_floats({3, 5, 1, 7, 4}, rng, 2.0f);
  const Tensor x64 = [&] {
    Tensor t(DType::Float64, x.shape());
    for (int64_t i = 0; i < x.numel(); ++i) t.data<double>()[i] = x.data<float>()[i];
    return t;
  }();
  for (const char* op : {"ReduceSum", "ReduceMean", "ReduceSumSquare", "ReduceL1", "ReduceL2"})
    for (const std::vector<int64_t>& axes : std::vector<std::vector<int64_t>>{{-1}, {1}, {2, 3}, {1, 2, 3}, {0}, {1, 3}, {}})
      for (int64_t keepdims : {0, 1}) {
        INFO(op << " axes " << shape_to_string(axes) << " keepdims " << keepdims);
        ir::Node node;
        node.op_type = op;
        node.opset = 13;
        node.attributes["keepdims"] = ir::int_attribute(keepdims);
        if (!axes.empty()) node.attributes["axes"] = ir::ints_attribute(axes);
        const Tensor axes_input = Tensor::from_vector<int64_t>({static_cast<int64_t>(axes.size())}, axes);
        ops::Inputs in{&x}, in64{&x64};
        if (std::string(op) == "ReduceSum" && !axes.empty()) in.push_back(&axes_input), in64.push_back(&axes_input);
        const Tensor fast = ops::reduce_kernel(node, in, {})[0], general = ops::reduce_kernel(node, in64, {})[0];
        REQUIRE(fast.shape() == general.shape());
        for (int64_t i = 0; i < fast.numel(); ++i) REQUIRE(fast.data<float>()[i] == static_cast<float>(general.data<double>()[i]));
      }
}

TEST_CASE("Pow with one exponent value equals the broadcast power, x ^ 2 bit for bit", "[kernels][pow]") {
  std::mt19937 rng(7);
  const Tensor x = test::random_floats({4, 33}, rng, 2.0f);
  for (double e : {2.0, 3.0, 0.5, -1.5}) {
    const Tensor one = Tensor::from_vector<float>({1}, {static_cast<float>(e)});
    Tensor every(DType::Float32, x.shape());
    for (int64_t i = 0; i < every.numel(); ++i) every.data<float>()[i] = static_cast<float>(e);
    ir::Node node;
    node.op_type = "Pow";
    const Tensor fast = ops::pow_kernel(node, {&x, &one}, {})[0], general = ops::pow_kernel(node, {&x, &every}, {})[0];
    for (int64_t i = 0; i < x.numel(); ++i) {
      const float a = fast.data<float>()[i], b = general.data<float>()[i];
      REQUIRE((std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b))));
    }
  }
}

TEST_CASE("Shape and Size read the logical shape of a tensor in any layout", "[kernels][movement]") {
  // The op table lets them take channels-last and blocked tensors as they are (no conversion).
  std::mt19937 rng(5);
  const Tensor x = test::random_floats({2, 16, 3, 5}, rng);
  for (const Layout layout : {Layout::Plain, Layout::ChannelsLast, Layout::ChannelBlocks8}) {
    const Tensor stored = x.to_layout(layout);
    const ir::Node shape = test::node("s", "Shape", {"x"}, {"y"}), size = test::node("n", "Size", {"x"}, {"y"});
    CHECK(ops::shape_kernel(shape, {&stored}, {})[0].to_int64_vector() == std::vector<int64_t>{2, 16, 3, 5});
    CHECK(ops::size_kernel(size, {&stored}, {})[0].to_int64_vector() == std::vector<int64_t>{480});
  }
  const ops::OpEntry* entry = ops::find_op("", "Shape");
  REQUIRE(entry);
  CHECK(entry->channels_last);
  CHECK(ops::takes_channel_blocks(*entry, 0));
}

TEST_CASE("ConstantOfShape fills every element with the value, of any size and count", "[kernels][generators]") {
  // Counts that are not powers of two (the fill doubles the filled part), none, one, and 1- to
  // 8-byte values; without `value`, float 0.
  for (const Shape& shape : std::vector<Shape>{{}, {0}, {1}, {3, 5}, {1, 100, 64}, {7, 1, 9}}) {
    const Tensor dims = Tensor::from_vector<int64_t>({static_cast<int64_t>(shape.size())}, shape);
    for (const Tensor& value : {Tensor::from_vector<int64_t>({1}, {-7}), Tensor::from_vector<float>({1}, {2.5f}),
                                Tensor::from_vector<uint8_t>({1}, {200}), Tensor::from_vector<int16_t>({1}, {-300})}) {
      ir::Node node = test::node("c", "ConstantOfShape", {"dims"}, {"y"});
      node.attributes["value"] = {.kind = ir::AttrKind::Tensor, .t = value};
      const Tensor y = ops::constant_of_shape_kernel(node, {&dims}, {})[0];
      REQUIRE(y.shape() == shape);
      REQUIRE(y.dtype() == value.dtype());
      const size_t size = value.nbytes();
      for (int64_t i = 0; i < y.numel(); ++i) REQUIRE(std::memcmp(y.raw() + static_cast<size_t>(i) * size, value.raw(), size) == 0);
    }
    const Tensor zeros = ops::constant_of_shape_kernel(test::node("c", "ConstantOfShape", {"dims"}, {"y"}), {&dims}, {})[0];
    REQUIRE(zeros.dtype() == DType::Float32);
    for (int64_t i = 0; i < zeros.numel(); ++i) REQUIRE(zeros.data<float>()[i] == 0.0f);
  }
}
