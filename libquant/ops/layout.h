// Helpers for ops that move elements without computing on them: they see a tensor as
// [outer, axis, inner] around one axis and copy bytes.
#pragma once
#include <cstring>

#include "core/tensor.h"

namespace quant::ops {

struct AxisView {
  int64_t outer = 1, length = 1, inner = 1;
};

inline AxisView axis_view(const Shape& shape, int64_t axis) {
  AxisView v;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    if (d < axis) v.outer *= shape[static_cast<size_t>(d)];
    else if (d == axis) v.length = shape[static_cast<size_t>(d)];
    else v.inner *= shape[static_cast<size_t>(d)];
  }
  return v;
}

// Where logical axis `axis` of a tensor [N, C, spatial...] of rank `rank` lies in memory: channels-last
// stores [N, spatial..., C], so C is stored last and each spatial axis one place earlier.
inline int64_t stored_axis(int64_t axis, int64_t rank, Layout layout) {
  if (layout != Layout::ChannelsLast || axis == 0) return axis;
  return axis == 1 ? rank - 1 : axis - 1;
}

// The shape of a channels-last tensor's memory seen as a plain tensor ([N, spatial..., C]).
inline Shape stored_shape(const Shape& logical, Layout layout) {
  Shape s(logical.size());
  for (size_t d = 0; d < logical.size(); ++d) s[static_cast<size_t>(stored_axis(static_cast<int64_t>(d), static_cast<int64_t>(logical.size()), layout))] = logical[d];
  return s;
}

// Reads a 1-D integer input (axes, pads, shape, split sizes) as int64 values.
inline std::vector<int64_t> int_list(const Tensor* t) { return t ? t->to_int64_vector() : std::vector<int64_t>{}; }

}  // namespace quant::ops
