#include "ops/strided_copy.h"

#include <cstring>

namespace quant::ops {
namespace {

// One row of `count` elements of type T, `stride` apart in X.
template <typename T>
void copy_row(const uint8_t* x, int64_t stride, int64_t count, uint8_t* y) {
  const T* src = reinterpret_cast<const T*>(x);
  T* dst = reinterpret_cast<T*>(y);
  for (int64_t j = 0; j < count; ++j) std::memcpy(dst + j, src + j * stride, sizeof(T));
}

}  // namespace

void strided_copy(const uint8_t* x, size_t elem_size, const Shape& out_shape, const std::vector<int64_t>& src_stride, int64_t offset,
                  uint8_t* y) {
  // Axes of size 1 dropped; an axis merged into the one after it when stepping it once moves as
  // far in X as running through the next one does (dim_next * stride_next == stride).
  Shape dims;
  std::vector<int64_t> strides;
  for (size_t k = 0; k < out_shape.size(); ++k) {
    if (out_shape[k] == 0) return;
    if (out_shape[k] == 1) continue;
    if (!dims.empty() && strides.back() == out_shape[k] * src_stride[k]) {
      dims.back() *= out_shape[k];
      strides.back() = src_stride[k];
      continue;
    }
    dims.push_back(out_shape[k]);
    strides.push_back(src_stride[k]);
  }
  if (dims.empty()) dims.push_back(1), strides.push_back(1);
  const int64_t row = dims.back(), row_stride = strides.back();
  const size_t rank = dims.size();
  int64_t rows = 1;
  for (size_t k = 0; k + 1 < rank; ++k) rows *= dims[k];
  auto copy = [&](const uint8_t* src, uint8_t* dst) {
    if (row_stride == 1) return void(std::memcpy(dst, src, static_cast<size_t>(row) * elem_size));
    switch (elem_size) {
      case 1: return copy_row<uint8_t>(src, row_stride, row, dst);
      case 2: return copy_row<uint16_t>(src, row_stride, row, dst);
      case 4: return copy_row<uint32_t>(src, row_stride, row, dst);
      case 8: return copy_row<uint64_t>(src, row_stride, row, dst);
      default:
        for (int64_t j = 0; j < row; ++j) std::memcpy(dst + static_cast<size_t>(j) * elem_size, src + static_cast<size_t>(j * row_stride) * elem_size, elem_size);
    }
  };
  // Row r's source: its index in the leading axes, read off r digit by digit.
#pragma omp parallel for if (rows * row > (1 << 16))
  for (int64_t r = 0; r < rows; ++r) {
    int64_t src = offset, rest = r;
    for (size_t k = rank - 1; k-- > 0;) {
      src += (rest % dims[k]) * strides[k];
      rest /= dims[k];
    }
    copy(x + static_cast<size_t>(src) * elem_size, y + static_cast<size_t>(r * row) * elem_size);
  }
}

}  // namespace quant::ops
