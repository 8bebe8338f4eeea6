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

void sgemm(const GemmArgs& args, bool reference);

// oneDNN generates all its sgemm kernels on the process's first sgemm call, whatever its size
// (15-28 ms of one core on a 2-core AMD EPYC; ONNX Runtime's MLAS has no such step). A command that
// will run the interpreter calls start_gemm_warm_up before it loads the model: the kernels are then
// generated on another core meanwhile, and the first Gemm or MatMul finds them ready (oneDNN makes
// a caller that comes earlier wait for them). Once per process, only when more than one thread is
// allowed. main calls finish_gemm_warm_up before it returns, on every path: oneDNN's own statics
// must outlive the thread.
void start_gemm_warm_up();
void finish_gemm_warm_up();

// Gemm's operands, validated: A [M, K] (given as A^T with transA), B [K, N] (B^T with transB).
// Throws Data unless both are 2-D with the same inner size K.
struct GemmShape {
  bool trans_a = false, trans_b = false;
  int64_t m = 0, n = 0, k = 0;
};
GemmShape gemm_shape(const ir::Node& node, const Tensor& a, const Tensor& b);

}  // namespace quant::ops
