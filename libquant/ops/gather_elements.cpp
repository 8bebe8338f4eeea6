// Element-indexed gather and scatter along `axis` (negative indices count from the end):
//   GatherElements:  out[i][j][k] = data[index[i][j][k]][j][k]      (axis 0; likewise for others)
//   ScatterElements: out = data; out[index[i][j][k]][j][k] = updates[i][j][k] (reduction: none, add, mul)
//   Scatter (deprecated) is ScatterElements without reduction.
#include <cstring>

#include "ops/kernels.h"

namespace quant::ops {
namespace {

// Calls fn(flat index into indices, flat index into data at the indexed position).
template <typename Fn>
void for_each_indexed(const Tensor& data, const Tensor& indices, int64_t axis, Fn&& fn) {
  const Shape& ishape = indices.shape();
  const std::vector<int64_t> dstrides = shape_strides(data.shape());
  const int64_t length = data.dim(axis);
  std::vector<int64_t> index(ishape.size(), 0);
  for (int64_t i = 0; i < indices.numel(); ++i) {
    int64_t j = indices.value_as_int64(i);
    if (j < -length || j >= length)
      throw Error(ErrorKind::Data, "index " + std::to_string(j) + " is out of range for axis of size " + std::to_string(length));
    if (j < 0) j += length;
    int64_t d = 0;
    for (size_t a = 0; a < index.size(); ++a) d += (static_cast<int64_t>(a) == axis ? j : index[a]) * dstrides[a];
    fn(i, d);
    for (size_t a = index.size(); a-- > 0;) {
      if (++index[a] < ishape[a]) break;
      index[a] = 0;
    }
  }
}

}  // namespace

Outputs gather_elements_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor x = required_input(inputs, 0, "data").to_plain();
  const Tensor& idx = required_input(inputs, 1, "indices");
  if (idx.rank() != x.rank()) throw Error(ErrorKind::Data, "indices " + idx.describe() + " must have the rank of data " + x.describe());
  const int64_t axis = normalize_axis(node.attr_int("axis", 0), x.rank());
  Tensor y(x.dtype(), idx.shape(), Init::Uninitialized);
  const size_t size = dtype_size(x.dtype());
  for_each_indexed(x, idx, axis, [&](int64_t i, int64_t d) { std::memcpy(y.raw() + i * size, x.raw() + d * size, size); });
  return {y};
}

Outputs scatter_elements_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "data");
  const Tensor& idx = required_input(inputs, 1, "indices");
  const Tensor u = required_input(inputs, 2, "updates").to_plain();
  if (idx.shape() != u.shape()) throw Error(ErrorKind::Data, "indices " + idx.describe() + " and updates " + u.describe() + " differ in shape");
  const int64_t axis = normalize_axis(node.attr_int("axis", 0), x.rank());
  const std::string reduction = node.attr_string("reduction", "none");
  Tensor y = x.to_plain().clone();
  visit_numeric(x.dtype(), "ScatterElements", [&](auto tag) {
    using T = decltype(tag);
    T* py = y.data<T>();
    const T* pu = u.data<T>();
    for_each_indexed(y, idx, axis, [&](int64_t i, int64_t d) {
      if (reduction == "add") py[d] = static_cast<T>(py[d] + pu[i]);
      else if (reduction == "mul") py[d] = static_cast<T>(py[d] * pu[i]);
      else if (reduction == "none") py[d] = pu[i];
      else throw Error(ErrorKind::Unsupported, "reduction '" + reduction + "' is not supported (none, add, mul are)");
    });
  });
  return {y};
}

}  // namespace quant::ops
