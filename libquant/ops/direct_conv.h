// Dense (group 1) float convolution on channels-last data with quant's own AVX2/FMA loops, for the
// shapes that dominate CNNs' time (3x3 at 8 to 512 channels), where oneDNN 2.6's AVX2 channels-last
// kernels reach 65-75% of an AVX2 machine's peak and these loops 80-90% (docs/performance.md). 1x1
// convolutions stay with oneDNN, whose 1x1 kernels block over pixels and channels for the cache;
// on CPUs where oneDNN has AVX-512 kernels every convolution does (conv.cpp): they are 1.5-4x
// faster than these loops there.
//
// The computation is an implicit GEMM: output pixels are rows, output channels columns and the
// (tap, input channel) pairs the inner dimension. A micro-kernel keeps a block of P output pixels
// by 8*V output channels in AVX registers (6 x 16, or 12 x 8 for a last block of 8 channels) and
// runs over every tap and input channel: for each input channel it loads V weight vectors and
// broadcasts each pixel's input value. Padding is a zero-bordered copy of each image, so every
// tap of every pixel is in range and pixels of one block may come from different rows. Work is
// split by (image, block of 16 output channels), image by image, or block by block where a block's
// weights outweigh a padded image (then all images are padded once first; direct_conv.cpp).
//
// Every output element is bias + sum over taps (kd, kh, kw in order) of sum over c in order, in
// float with fused multiply-add: the same whatever the batch, the thread count or where the pixel
// falls in a block, so calibration statistics do not depend on how samples are grouped.
#pragma once
#include <vector>

#include "ops/kernel.h"
#include "ops/window.h"

namespace quant::ops {

// Whether this CPU runs direct_conv at all: x86-64 with AVX2 and FMA.
bool direct_conv_cpu_supported();

// Whether direct_conv runs g on this CPU: AVX2 and FMA present, group 1, a window of more than one
// tap, output channels a multiple of 8, at least 8 input channels or a 1-D convolution, and a
// padded image of at most 32 MiB (each thread holds one). Fewer input channels leave the
// micro-kernel's inner loop short: oneDNN is faster there in 2-D (smallcnn's 1 -> 16 3x3: 0.25
// against 0.43 ms per 100 images; a 224x224 RGB stem 9.4 against 17.9 ms per 8), but its 1-D
// kernels for them are not (an audio front end's 1 -> 16, kernel 9, stride 4 over 4,000 samples:
// 1.94 against 0.15 ms per 16 clips).
bool direct_conv_applies(const ConvGeometry& g);
// The part of that rule known from the weights alone (before any input size).
bool direct_conv_may_apply(int64_t group, int64_t in_channels, int64_t out_channels, int64_t taps, int64_t spatial_rank);

// W [M, C, k...] (ONNX order) in the layout direct_conv reads: blocks of 16 output channels (the
// last one 8 when M is not a multiple of 16), each [taps][C][16 or 8].
std::vector<float> pack_direct_conv_weights(const ConvGeometry& g, const float* w);

// y [N, spatial_out..., M] = conv(x [N, spatial_in..., C], packed weights) + bias, clamped by
// `clamp` when active. bias may be null (zero). Runs on all threads unless called inside a
// parallel region.
void direct_conv(const ConvGeometry& g, const float* x, const float* packed_w, const float* bias, const FusedClamp& clamp, float* y);

}  // namespace quant::ops
