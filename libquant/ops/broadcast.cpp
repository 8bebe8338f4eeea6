#include <algorithm>
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

}  // namespace quant::ops
