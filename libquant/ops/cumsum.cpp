// CumSum along `axis` (input 1): y[j] = sum of x[i] for i <= j (i < j when exclusive = 1), from the
// end when reverse = 1. Accumulates in the input's type.
#include "ops/kernels.h"

namespace quant::ops {

Outputs cumsum_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor x = required_input(inputs, 0, "x").to_plain();
  const int64_t axis = normalize_axis(required_input(inputs, 1, "axis").value_as_int64(0), x.rank());
  const bool exclusive = node.attr_int("exclusive", 0) != 0, reverse = node.attr_int("reverse", 0) != 0;
  int64_t outer = 1, length = x.dim(axis), inner = 1;
  for (int64_t d = 0; d < x.rank(); ++d)
    if (d < axis) outer *= x.dim(d);
    else if (d > axis) inner *= x.dim(d);
  Tensor y(x.dtype(), x.shape(), Init::Uninitialized);
  visit_numeric(x.dtype(), "CumSum", [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* py = y.data<T>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        T acc = T(0);
        for (int64_t s = 0; s < length; ++s) {
          const int64_t j = reverse ? length - 1 - s : s;
          const int64_t e = (o * length + j) * inner + i;
          if (exclusive) py[e] = acc, acc = static_cast<T>(acc + px[e]);
          else acc = static_cast<T>(acc + px[e]), py[e] = acc;
        }
      }
  });
  return {y};
}

}  // namespace quant::ops
