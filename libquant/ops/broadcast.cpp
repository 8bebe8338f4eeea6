#include <algorithm>
#include <cstring>
#include "ops/broadcast.h"

namespace quant::ops {

std::vector<int64_t> broadcast_strides(const Shape& shape, const Shape& out_shape) {
  const size_t rank = out_shape.size();
  std::vector<int64_t> own = shape_strides(shape);
  std::vector<int64_t> strides(rank, 0);
  const size_t offset = rank - shape.size();
  for (size_t i = 0; i < shape.size(); ++i) strides[offset + i] = shape[i] == 1 ? 0 : own[i];
  return strides;
}

Tensor broadcast_to(const Tensor& x, const Shape& out_shape) {
  if (broadcast_shapes(x.shape(), out_shape) != out_shape)
    throw Error(ErrorKind::Data, x.describe() + " does not broadcast to " + shape_to_string(out_shape));
  const Tensor plain = x.to_plain();
  Tensor out(x.dtype(), out_shape, Init::Uninitialized);
  const size_t size = static_cast<size_t>(dtype_info(x.dtype()).size);
  const uint8_t* src = plain.raw();
  uint8_t* dst = out.raw();
  for_each_broadcast_run(x.shape(), out_shape, out_shape, [&](int64_t o, int64_t ix, int64_t, int64_t n, int64_t step, int64_t) {
    for (int64_t k = 0; k < n; ++k) std::memcpy(dst + (o + k) * size, src + (ix + k * step) * size, size);
  });
  return out;
}

}  // namespace quant::ops
