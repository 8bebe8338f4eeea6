// Single-precision matrix products, row-major: C = alpha * op(A) * op(B) + beta * C, where op(X) is
// X or X^T. The fast path is oneDNN's sgemm (it picks AVX-512/AVX2 kernels from CPUID, see
// docs/dependencies.md); the reference path is a plain triple loop with double accumulation.
#pragma once
#include <cstdint>

namespace quant::ops {

struct GemmArgs {
  bool trans_a = false, trans_b = false;
  int64_t m = 0, n = 0, k = 0;
  float alpha = 1.0f, beta = 0.0f;
  const float* a = nullptr; int64_t lda = 0;
  const float* b = nullptr; int64_t ldb = 0;
  float* c = nullptr; int64_t ldc = 0;
};

void sgemm(const GemmArgs& args, bool reference);

}  // namespace quant::ops
