// TopK: the k largest (largest = 1) or smallest elements along `axis` and their int64 indices,
// sorted (sorted = 1; ties keep the lower index first, as ONNX specifies). k is input 1.
#include <algorithm>
#include <numeric>

#include "ops/kernels.h"

namespace quant::ops {

Outputs topk_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor x = required_input(inputs, 0, "X").to_plain();
  const int64_t k = required_input(inputs, 1, "K").value_as_int64(0);
  const int64_t axis = normalize_axis(node.attr_int("axis", -1), x.rank());
  const bool largest = node.attr_int("largest", 1) != 0;
  const int64_t length = x.dim(axis);
  if (k < 0 || k > length) throw Error(ErrorKind::Data, "k = " + std::to_string(k) + " is out of range for an axis of " + std::to_string(length));
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < x.rank(); ++d)
    if (d < axis) outer *= x.dim(d);
    else if (d > axis) inner *= x.dim(d);
  Shape out_shape = x.shape();
  out_shape[static_cast<size_t>(axis)] = k;
  Tensor values(x.dtype(), out_shape, Init::Uninitialized), indices(DType::Int64, out_shape, Init::Uninitialized);
  const size_t size = dtype_size(x.dtype());
  std::vector<int64_t> order(static_cast<size_t>(length));
  std::vector<double> v(static_cast<size_t>(length));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      for (int64_t j = 0; j < length; ++j) v[static_cast<size_t>(j)] = x.value_as_double((o * length + j) * inner + i);
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        const double va = v[static_cast<size_t>(a)], vb = v[static_cast<size_t>(b)];
        return largest ? va > vb : va < vb;
      });
      for (int64_t j = 0; j < k; ++j) {
        const int64_t src = order[static_cast<size_t>(j)], dst = (o * k + j) * inner + i;
        std::memcpy(values.raw() + dst * static_cast<int64_t>(size), x.raw() + ((o * length + src) * inner + i) * static_cast<int64_t>(size), size);
        indices.data<int64_t>()[dst] = src;
      }
    }
  return {values, indices};
}

}  // namespace quant::ops
