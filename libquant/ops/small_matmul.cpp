#include "ops/small_matmul.h"

#include <algorithm>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "core/cpu_features.h"
#include "core/error.h"

namespace quant::ops {

#if defined(__x86_64__)
// Compiled for AVX2 + FMA whatever the build's target; only called after small_matmul_applies().
#define QUANT_AVX2 __attribute__((target("avx2,fma")))

bool small_matmul_applies(int64_t m, int64_t n, int64_t k) {
  return cpu_has_avx2_fma() && m > 0 && n > 0 && k > 0 && m * n * k <= kSmallMatmulWork;
}

namespace {

// The lanes of a vector holding the first `count` (0..8) of eight columns.
QUANT_AVX2 inline __m256i first_lanes(int64_t count) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Rows [0, R) of A against columns [j, j + width) of B, width 1 to 16: two vectors of columns, R x 2
// accumulators. kFull (width 16): plain loads and stores; else the columns past width masked
// (masked stores are slow on some CPUs: kept to the tail).
template <int R, bool kFull>
QUANT_AVX2 void block(const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, int64_t k, int64_t j, int64_t width) {
  const __m256i mask0 = first_lanes(std::min<int64_t>(width, 8)), mask1 = first_lanes(std::max<int64_t>(width - 8, 0));
  const bool two = kFull || width > 8;
  __m256 acc0[R], acc1[R];
  for (int r = 0; r < R; ++r) acc0[r] = _mm256_setzero_ps(), acc1[r] = _mm256_setzero_ps();
  for (int64_t p = 0; p < k; ++p) {
    const float* bp = b + p * ldb + j;
    const __m256 b0 = kFull ? _mm256_loadu_ps(bp) : _mm256_maskload_ps(bp, mask0);
    const __m256 b1 = kFull ? _mm256_loadu_ps(bp + 8) : two ? _mm256_maskload_ps(bp + 8, mask1) : _mm256_setzero_ps();
    for (int r = 0; r < R; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r * lda + p);
      acc0[r] = _mm256_fmadd_ps(av, b0, acc0[r]);
      if (two) acc1[r] = _mm256_fmadd_ps(av, b1, acc1[r]);
    }
  }
  for (int r = 0; r < R; ++r) {
    if constexpr (kFull) {
      _mm256_storeu_ps(c + r * ldc + j, acc0[r]);
      _mm256_storeu_ps(c + r * ldc + j + 8, acc1[r]);
    } else {
      _mm256_maskstore_ps(c + r * ldc + j, mask0, acc0[r]);
      if (two) _mm256_maskstore_ps(c + r * ldc + j + 8, mask1, acc1[r]);
    }
  }
}

// Rows [0, m) in blocks of four against columns [j, j + width).
template <bool kFull>
QUANT_AVX2 void column_block(const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, int64_t m, int64_t k, int64_t j, int64_t width) {
  int64_t i = 0;
  for (; i + 4 <= m; i += 4) block<4, kFull>(a + i * lda, lda, b, ldb, c + i * ldc, ldc, k, j, width);
  for (; i < m; ++i) block<1, kFull>(a + i * lda, lda, b, ldb, c + i * ldc, ldc, k, j, width);
}

}  // namespace

QUANT_AVX2 void small_matmul(const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, int64_t m, int64_t n, int64_t k) {
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) column_block<true>(a, lda, b, ldb, c, ldc, m, k, j, 16);
  if (j < n) column_block<false>(a, lda, b, ldb, c, ldc, m, k, j, n - j);
}

#undef QUANT_AVX2
#else
bool small_matmul_applies(int64_t, int64_t, int64_t) { return false; }
void small_matmul(const float*, int64_t, const float*, int64_t, float*, int64_t, int64_t, int64_t, int64_t) {
  throw Error(ErrorKind::Internal, "small_matmul is built for x86-64 only");
}
#endif

}  // namespace quant::ops
