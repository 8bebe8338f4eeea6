// Products of small matrices, C [m, n] = A [m, k] · B [k, n] (row-major), as attention's batched
// MatMuls make them: a ViT's Q·Kᵀ and A·V are hundreds of 16x16x16 products per batch, where
// oneDNN's sgemm spends about half a microsecond per call before any arithmetic.
#pragma once
#include <cstdint>

namespace quant::ops {

// Whether small_matmul runs here (x86-64 with AVX2 and FMA) and pays for a product of this size
// (m * n * k up to kSmallMatmulWork multiply-adds; above that oneDNN's packed kernels are faster).
constexpr int64_t kSmallMatmulWork = 32768;
bool small_matmul_applies(int64_t m, int64_t n, int64_t k);

// c[i][j] = sum over p of a[i][p] * b[p][j], p in order, one fused multiply-add per term: four rows
// of A at a time against sixteen columns of B, kept in registers across p. A, B and C rows are
// lda, ldb and ldc floats apart. The result of an element depends on its row and column only.
void small_matmul(const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, int64_t m, int64_t n, int64_t k);

}  // namespace quant::ops
