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
// once per input shape and layout and reused; config.clamp becomes an eltwise post-op. w is in
// ONNX's order [M, C/group, k...], or, with WeightsOrder::InputsFirst (1x1 kernels, group 1),
// [C, M] (a matrix product's B [K, N], read in place).
enum class WeightsOrder { OutputsFirst, InputsFirst };
Tensor conv_forward_onednn(const ConvGeometry& g, const Tensor& x, const float* w, const float* bias, const Shape& out_shape,
                           const KernelConfig& config, WeightsOrder order = WeightsOrder::OutputsFirst);

}  // namespace quant::ops
