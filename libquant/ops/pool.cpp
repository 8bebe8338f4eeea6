// MaxPool and AveragePool over 1 to 3 spatial axes (window geometry in window.h).
//   MaxPool:     Y = max over the window's taps inside the input (padding never wins).
//   AveragePool: Y = sum over taps inside the input / count, where count is the number of taps
//                inside the input (count_include_pad = 0) or inside the padded input (= 1).
#include <algorithm>
#include <limits>

#include "ops/kernels.h"
#include "ops/window.h"

namespace quant::ops {
namespace {

enum class PoolKind { Max, Average };

template <typename T, PoolKind kind>
void pool_plane(const Window3& w, bool include_pad, const T* x, T* y) {
  for (int64_t od = 0; od < w.out[0]; ++od)
    for (int64_t oh = 0; oh < w.out[1]; ++oh)
      for (int64_t ow = 0; ow < w.out[2]; ++ow) {
        const int64_t o[3] = {od, oh, ow};
        int64_t lo[3], hi[3], padded = 1;
        for (int a = 0; a < 3; ++a) {
          const int64_t start = o[a] * w.stride[a] - w.pad_begin[a];
          const int64_t last = start + (w.kernel[a] - 1) * w.dilation[a];
          // Taps inside the padded input (for count_include_pad).
          const int64_t pad_hi = std::min(last, w.in[a] + w.pad_end[a] - 1);
          padded *= (pad_hi - start) / w.dilation[a] + 1;
          lo[a] = start;
          hi[a] = last;
        }
        double acc = kind == PoolKind::Max ? -std::numeric_limits<double>::infinity() : 0.0;
        int64_t count = 0;
        for (int64_t id = lo[0]; id <= hi[0]; id += w.dilation[0]) {
          if (id < 0 || id >= w.in[0]) continue;
          for (int64_t ih = lo[1]; ih <= hi[1]; ih += w.dilation[1]) {
            if (ih < 0 || ih >= w.in[1]) continue;
            for (int64_t iw = lo[2]; iw <= hi[2]; iw += w.dilation[2]) {
              if (iw < 0 || iw >= w.in[2]) continue;
              const double v = static_cast<double>(x[(id * w.in[1] + ih) * w.in[2] + iw]);
              if constexpr (kind == PoolKind::Max) acc = std::max(acc, v);
              else acc += v;
              ++count;
            }
          }
        }
        T& out = y[(od * w.out[1] + oh) * w.out[2] + ow];
        if constexpr (kind == PoolKind::Max) out = static_cast<T>(acc);
        else out = static_cast<T>(acc / static_cast<double>(include_pad ? padded : std::max<int64_t>(count, 1)));
      }
}

template <PoolKind kind>
Outputs pool_kernel(const ir::Node& node, const Inputs& inputs) {
  const Tensor& x = required_input(inputs, 0, "X");
  if (x.rank() < 3 || x.rank() > 5) throw Error(ErrorKind::Data, "X must be [N, C, spatial...] with 1 to 3 spatial axes, got " + x.describe());
  if (node.outputs.size() > 1 && !node.outputs[1].empty())
    throw Error(ErrorKind::Unsupported, "the Indices output of MaxPool is not supported");
  if (node.attr_int("storage_order", 0) != 0) throw Error(ErrorKind::Unsupported, "storage_order = 1 is not supported");
  const std::vector<int64_t> spatial(x.shape().begin() + 2, x.shape().end());
  const std::vector<int64_t> kernel = node.attr_ints("kernel_shape");
  const Window3 w = compute_window(node, spatial, kernel, true);
  const bool include_pad = node.attr_int("count_include_pad", 0) != 0;
  Shape out_shape{x.dim(0), x.dim(1)};
  for (int64_t d : from_3d(w.out, spatial.size())) out_shape.push_back(d);
  Tensor y(x.dtype(), out_shape);
  const int64_t planes = x.dim(0) * x.dim(1);
  visit_numeric(x.dtype(), node.op_type.c_str(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* py = y.data<T>();
#pragma omp parallel for if (planes > 1)
    for (int64_t p = 0; p < planes; ++p) pool_plane<T, kind>(w, include_pad, px + p * w.in_size(), py + p * w.out_size());
  });
  return {y};
}

}  // namespace

Outputs max_pool_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  return pool_kernel<PoolKind::Max>(node, inputs);
}

Outputs average_pool_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  if (node.attr_ints("dilations").size() > 0 && node.opset < 19)
    throw Error(ErrorKind::Model, "AveragePool takes dilations only from opset 19");
  return pool_kernel<PoolKind::Average>(node, inputs);
}

}  // namespace quant::ops
