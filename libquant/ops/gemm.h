// Single-precision matrix products, row-major: C = alpha * op(A) * op(B) + beta * C, where op(X) is
// X or X^T. The fast path is oneDNN's sgemm (it picks AVX-512/AVX2 kernels from CPUID, see
// docs/dependencies.md); the reference path is a plain triple loop with double accumulation.
#pragma once
#include <cstdint>

#include "core/tensor.h"
#include "ir/graph.h"

namespace quant::ops {

struct GemmArgs {
  bool trans_a = false, trans_b = false;
  int64_t m = 0, n = 0, k = 0;
  float alpha = 1.0f, beta = 0.0f;
  const float* a = nullptr; int64_t lda = 0;
  const float* b = nullptr; int64_t ldb = 0;
  float* c = nullptr; int64_t ldc = 0;
};

// oneDNN generates all its sgemm kernels on the process's first sgemm call, whatever its size
// (17-36 ms of one core on an AVX2 machine, 38-41 ms with AVX-512): products with constant
// weights, a model's usual ones, run as 1x1 convolutions instead (product_as_conv.h); sgemm is left
// to products of two computed tensors (attention) and ConvTranspose.
void sgemm(const GemmArgs& args, bool reference);

// Gemm's operands, validated: A [M, K] (given as A^T with transA), B [K, N] (B^T with transB).
// Throws Data unless both are 2-D with the same inner size K.
struct GemmShape {
  bool trans_a = false, trans_b = false;
  int64_t m = 0, n = 0, k = 0;
};
GemmShape gemm_shape(const ir::Node& node, const Tensor& a, const Tensor& b);

}  // namespace quant::ops
