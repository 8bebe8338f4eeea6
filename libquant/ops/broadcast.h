// Numpy-style broadcasting of binary element-wise ops: out[i] = fn(a[ia], b[ib]).
#pragma once
#include <vector>

#include "core/tensor.h"

namespace quant::ops {

// Strides of `shape` seen from a broadcast output of rank `rank` (0 on broadcast axes).
std::vector<int64_t> broadcast_strides(const Shape& shape, const Shape& out_shape);

// Calls fn(out_offset, a_offset, b_offset, count, a_step, b_step) over runs of the innermost axis,
// so that the hot loop is a plain strided loop.
template <typename Fn>
void for_each_broadcast_run(const Shape& a_shape, const Shape& b_shape, const Shape& out_shape, Fn&& fn) {
  const int64_t total = shape_numel(out_shape);
  if (total == 0) return;
  if (out_shape.empty()) { fn(0, 0, 0, 1, 0, 0); return; }
  const std::vector<int64_t> sa = broadcast_strides(a_shape, out_shape);
  const std::vector<int64_t> sb = broadcast_strides(b_shape, out_shape);
  const size_t rank = out_shape.size();
  const int64_t inner = out_shape[rank - 1];
  std::vector<int64_t> index(rank, 0);
  int64_t ia = 0, ib = 0;
  for (int64_t o = 0; o < total; o += inner) {
    fn(o, ia, ib, inner, sa[rank - 1], sb[rank - 1]);
    // Advance the multi-index over the outer axes, keeping the input offsets in step.
    for (size_t d = rank - 1; d-- > 0;) {
      ++index[d];
      ia += sa[d];
      ib += sb[d];
      if (index[d] < out_shape[d]) break;
      ia -= sa[d] * out_shape[d];
      ib -= sb[d] * out_shape[d];
      index[d] = 0;
    }
  }
}

// x repeated along its size-1 (or missing leading) axes to `out_shape` (numpy broadcasting).
Tensor broadcast_to(const Tensor& x, const Shape& out_shape);

// out[k] = fn(a[k * step_a], b[k * step_b]) for k < n. The steps met almost always (1 and 1: same
// shapes or a row of a broadcast; 1 and 0 or 0 and 1: one value against a row) get loops of their
// own, which the compiler vectorizes; a runtime step would have it load one element at a time.
template <typename T, typename R, typename Fn>
void binary_run(R* out, const T* a, const T* b, int64_t n, int64_t step_a, int64_t step_b, Fn& fn) {
  if (step_a == 1 && step_b == 1) {
    for (int64_t k = 0; k < n; ++k) out[k] = fn(a[k], b[k]);
  } else if (step_a == 1 && step_b == 0) {
    const T y = *b;
    for (int64_t k = 0; k < n; ++k) out[k] = fn(a[k], y);
  } else if (step_a == 0 && step_b == 1) {
    const T x = *a;
    for (int64_t k = 0; k < n; ++k) out[k] = fn(x, b[k]);
  } else {
    for (int64_t k = 0; k < n; ++k) out[k] = fn(a[k * step_a], b[k * step_b]);
  }
}

// out = a (op) b with broadcasting, element type T, result type R, computed by
// run(out, a, b, n, step_a, step_b) over runs (binary_run's signature). Same shapes, or one side a
// single value, are one run over the whole tensor.
template <typename T, typename R, typename Run>
Tensor broadcast_binary_runs(const Tensor& a, const Tensor& b, Run&& run) {
  const Shape out_shape = broadcast_shapes(a.shape(), b.shape());
  Tensor out(DTypeOf<R>::value, out_shape, Init::Uninitialized);
  const T* pa = reinterpret_cast<const T*>(a.raw());
  const T* pb = reinterpret_cast<const T*>(b.raw());
  R* po = out.data<R>();
  const int64_t total = shape_numel(out_shape);
  if (a.numel() == total && (b.numel() == total || b.numel() == 1)) {
    run(po, pa, pb, total, 1, b.numel() == total ? 1 : 0);
  } else if (b.numel() == total && a.numel() == 1) {
    run(po, pa, pb, total, 0, 1);
  } else {
    for_each_broadcast_run(a.shape(), b.shape(), out_shape, [&](int64_t o, int64_t ia, int64_t ib, int64_t n, int64_t step_a, int64_t step_b) {
      run(po + o, pa + ia, pb + ib, n, step_a, step_b);
    });
  }
  return out;
}

// out = fn(a, b) with broadcasting, all of element type T, result of type R.
template <typename T, typename R, typename Fn>
Tensor broadcast_binary(const Tensor& a, const Tensor& b, Fn&& fn) {
  return broadcast_binary_runs<T, R>(a, b, [&](R* out, const T* x, const T* y, int64_t n, int64_t step_x, int64_t step_y) {
    binary_run(out, x, y, n, step_x, step_y, fn);
  });
}

}  // namespace quant::ops
