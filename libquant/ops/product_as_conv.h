// Matrix products with constant weights (Gemm's and MatMul's B, a model's fully connected layers)
// as a 1x1 convolution through oneDNN's convolution primitive: the M rows of A are M pixels of
// K channels (a plain [M, K] matrix has the bytes of a channels-last [1, K, M, 1] image) and B's N
// columns the output channels. Against oneDNN's sgemm: the weights are reordered once per node
// into the primitive's layout, each shape's kernel is generated in 1-4 ms where sgemm's first call
// generates all of its kernels (17-36 ms of one core on an AVX2 machine, 38-41 ms with AVX-512),
// and it ran 1.1-2.2x faster on one core for the products measured (docs/performance.md).
#pragma once
#include <cstdint>

#include "core/tensor.h"
#include "ops/kernel.h"

namespace quant::ops {

// Whether a product's B (input 1 of the node) can be taken this way: a constant 2-D tensor seen by
// an interpreter run (config.cache), not the reference path.
bool product_as_conv_applies(const Tensor& b, const KernelConfig& config);

// Y [M, N] = A [M, K] x B + bias (bias: N values, or null), A plain and row-major; B [K, N]
// (b_is_transposed: B^T, [N, K]). Y is a new plain tensor.
Tensor product_as_conv(const Tensor& a, const Tensor& b, bool b_is_transposed, const float* bias, const KernelConfig& config);

}  // namespace quant::ops
