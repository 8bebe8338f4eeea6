// Where: out = condition ? X : Y, the three inputs broadcast together (numpy rules).
#include <cstring>

#include "ops/broadcast.h"
#include "ops/kernels.h"

namespace quant::ops {

Outputs where_kernel(const ir::Node&, const Inputs& inputs, const KernelConfig&) {
  const Tensor& c = required_input(inputs, 0, "condition");
  const Tensor& x = required_input(inputs, 1, "X");
  const Tensor& y = required_input(inputs, 2, "Y");
  if (c.dtype() != DType::Bool) throw Error(ErrorKind::Model, "condition must be bool, got " + c.describe());
  if (x.dtype() != y.dtype()) throw Error(ErrorKind::Model, "X and Y have different types: " + x.describe() + " and " + y.describe());
  const Shape shape = broadcast_shapes(c.shape(), broadcast_shapes(x.shape(), y.shape()));
  const Tensor cb = broadcast_to(c, shape), xb = broadcast_to(x, shape), yb = broadcast_to(y, shape);
  Tensor out(x.dtype(), shape, Init::Uninitialized);
  const size_t size = static_cast<size_t>(dtype_info(x.dtype()).size);
  const bool* pc = cb.data<bool>();
  for (int64_t i = 0; i < out.numel(); ++i)
    std::memcpy(out.raw() + i * size, (pc[i] ? xb.raw() : yb.raw()) + i * size, size);
  return {out};
}

}  // namespace quant::ops
