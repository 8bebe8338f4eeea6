// Conv through oneDNN's convolution primitive (JIT kernels chosen from CPUID: AVX-512, AVX2...),
// for any group count (dense, grouped, depthwise), dilation and 1 to 3 spatial axes. The data
// comes in plain or channels-last; the result is channels-last when oneDNN computes it that way
// (then the next channels-last-capable op reads it without a reorder), else plain.
#pragma once
#include <cstdint>

#include "core/tensor.h"
#include "ops/kernel.h"
#include "ops/window.h"

namespace quant::ops {

// With config.cache, the primitive (and, for constant weights, the weights in its layout) is built
// once per input shape and layout and reused; config.clamp becomes an eltwise post-op.
Tensor conv_forward_onednn(const ConvGeometry& g, const Tensor& x, const float* w, const float* bias, const Shape& out_shape,
                           const KernelConfig& config);

// Whether oneDNN runs AVX-512 kernels on this CPU (its effective ISA includes avx512_core; the
// ONEDNN_MAX_CPU_ISA environment variable can lower it). Its AVX-512 convolutions outrun quant's
// AVX2 loops (direct_conv.h) 1.5-4x on every measured shape (docs/performance.md).
bool onednn_conv_has_avx512();

}  // namespace quant::ops
