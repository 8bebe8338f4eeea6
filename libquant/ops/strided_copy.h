// The copy under Transpose and Slice: Y, of shape `out_shape` and contiguous, takes
//   Y[i_0, ..., i_{r-1}] = X[offset + sum_k i_k * src_stride[k]]   (strides in elements of X)
// for elements of `elem_size` bytes. Axes that follow one another in X as they do in Y are merged
// first; the last axis then runs as one memcpy per row (src_stride 1) or a typed strided loop, the
// rows spread over the threads. The same bytes whatever the thread count.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/shape.h"

namespace quant::ops {

void strided_copy(const uint8_t* x, size_t elem_size, const Shape& out_shape, const std::vector<int64_t>& src_stride, int64_t offset,
                  uint8_t* y);

}  // namespace quant::ops
