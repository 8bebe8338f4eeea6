#include "ops/vector_math.h"

#include <algorithm>
#include <cmath>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "core/cpu_features.h"
#include "core/error.h"

namespace quant::ops {

#if defined(__x86_64__)
// Compiled for AVX2 + FMA whatever the build's target; only called after vector_math_supported().
#define QUANT_AVX2 __attribute__((target("avx2,fma")))

bool vector_math_supported() {
  return cpu_has_avx2_fma();
}

namespace {

// exp(x) = 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2]:
//  - r in two steps, ln 2 = kLn2Hi + kLn2Lo with kLn2Hi = 355/512 (9 bits, so n * kLn2Hi is exact
//    for |n| < 2^15);
//  - exp(r) by its Taylor series to r^7 (the first term left out, r^8/8!, is below 2.6e-9 of the
//    result on that interval; float rounding adds about one unit in the last place);
//  - 2^n as two factors 2^(n/2) * 2^(n - n/2), each a normal float, so that results past FLT_MAX
//    overflow to inf and those below FLT_MIN go gradually to zero, as the exact function does.
// x is first clamped to [-104, 89] (exp is 0 and inf in float beyond), NaN put back at the end.
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f;
constexpr float kLn2Lo = -2.12194440054690583e-4f;  // ln 2 - kLn2Hi
constexpr float kTaylor[8] = {1.0f, 1.0f, 1.0f / 2, 1.0f / 6, 1.0f / 24, 1.0f / 120, 1.0f / 720, 1.0f / 5040};

// y where x is a number, x (its NaN) where it is not: the clamps and blends before lose NaN.
QUANT_AVX2 inline __m256 nan_kept(__m256 y, __m256 x) { return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q)); }

QUANT_AVX2 inline __m256 pow2i(__m256i k) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(127)), 23)); }

QUANT_AVX2 inline __m256 exp8(__m256 x) {
  const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-104.0f)), _mm256_set1_ps(89.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Hi), xc);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Lo), r);
  __m256 p = _mm256_set1_ps(kTaylor[7]);
  for (int k = 6; k >= 0; --k) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kTaylor[k]));
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i half = _mm256_srai_epi32(ni, 1);
  const __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, pow2i(half)), pow2i(_mm256_sub_epi32(ni, half)));
  return nan_kept(y, x);
}

// Sigmoid(x) = 1 / (1 + exp(-x)): exp(-x) = inf gives 0, 0 gives 1; NaN stays NaN.
QUANT_AVX2 inline __m256 sigmoid8(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  return _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

// tanh(x) = sign(x) (1 - e) / (1 + e), e = exp(-2|x|), for |x| >= 1/4; below, where 1 - e would
// lose bits to cancellation, its Taylor series x - x^3/3 + 2x^5/15 - 17x^7/315 + 62x^9/2835 (the
// next term is below 1e-8 of the result there). -0 stays -0, NaN stays NaN.
QUANT_AVX2 inline __m256 tanh8(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
  const __m256 a = _mm256_andnot_ps(sign, x);
  const __m256 e = exp8(_mm256_mul_ps(a, _mm256_set1_ps(-2.0f)));
  const __m256 large = _mm256_or_ps(_mm256_div_ps(_mm256_sub_ps(one, e), _mm256_add_ps(one, e)), _mm256_and_ps(sign, x));
  const __m256 x2 = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(62.0f / 2835);
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-17.0f / 315));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(2.0f / 15));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-1.0f / 3));
  const __m256 small = _mm256_mul_ps(x, _mm256_fmadd_ps(p, x2, one));  // x (1 + ...): keeps the sign of -0
  const __m256 y = _mm256_blendv_ps(large, small, _mm256_cmp_ps(a, _mm256_set1_ps(0.25f), _CMP_LT_OQ));
  return nan_kept(y, x);
}

// erf(x), odd: for |x| < 1 its Taylor series (2/sqrt(pi)) sum_n (-1)^n x^(2n+1) / (n! (2n+1)) to
// n = 10 (the next term is below 1.2e-9 there); from 1 on, Abramowitz and Stegun's 7.1.26,
// 1 - (a1 t + ... + a5 t^5) exp(-x^2) with t = 1 / (1 + p x), whose error is below 1.5e-7 (2.5
// units in the last place of erf(1) = 0.84; less further on). NaN stays NaN.
QUANT_AVX2 inline __m256 erf8(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
  const __m256 a = _mm256_andnot_ps(sign, x), x2 = _mm256_mul_ps(x, x);
  // (-1)^n / (n! (2n + 1)), n = 10 down to 1
  constexpr float kSeries[] = {1.0f / 76204800.0f, -1.0f / 6894720.0f, 1.0f / 685440.0f, -1.0f / 75600.0f, 1.0f / 9360.0f,
                               -1.0f / 1320.0f,       1.0f / 216.0f,       -1.0f / 42.0f,     1.0f / 10.0f,     -1.0f / 3.0f};
  __m256 p = _mm256_set1_ps(kSeries[0]);
  for (int k = 1; k < 10; ++k) p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(kSeries[k]));
  const __m256 small = _mm256_mul_ps(_mm256_mul_ps(x, _mm256_fmadd_ps(p, x2, one)), _mm256_set1_ps(1.12837916709551257f));  // 2/sqrt(pi)
  const __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(_mm256_set1_ps(0.3275911f), a, one));
  __m256 q = _mm256_set1_ps(1.061405429f);
  for (const float c : {-1.453152027f, 1.421413741f, -0.284496736f, 0.254829592f}) q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(c));
  q = _mm256_mul_ps(q, t);
  const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), x2));
  const __m256 large = _mm256_or_ps(_mm256_fnmadd_ps(q, e, one), _mm256_and_ps(sign, x));
  const __m256 y = _mm256_blendv_ps(large, small, _mm256_cmp_ps(a, one, _CMP_LT_OQ));
  return nan_kept(y, x);
}

// y = f(x) for n values: whole vectors in place, the last n % 8 through a padded copy.
template <__m256 (*f)(__m256)>
QUANT_AVX2 void map_floats(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(x + i)));
  if (i == n) return;
  alignas(32) float tail[8] = {};
  std::copy(x + i, x + n, tail);
  _mm256_store_ps(tail, f(_mm256_load_ps(tail)));
  std::copy(tail, tail + (n - i), y + i);
}

// Adds the eight floats of v to the four doubles of sum twice over (low and high halves).
QUANT_AVX2 inline __m256d add_in_double(__m256d sum, __m256 v) {
  return _mm256_add_pd(_mm256_add_pd(sum, _mm256_cvtps_pd(_mm256_castps256_ps128(v))), _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

}  // namespace

// One row at a time, all in registers: an attention's rows are short (16 to a few hundred
// values), and a pass per step (max, subtract, exp, sum, scale) cost more than the arithmetic.
QUANT_AVX2 void softmax_floats(const float* x, float* y, int64_t n) {
  if (n <= 0) return;
  const int64_t whole = n - n % 8;
  // The maximum, NaN skipped (max_ps(v, m) returns m when v is NaN).
  __m256 m = _mm256_set1_ps(-INFINITY);
  for (int64_t i = 0; i < whole; i += 8) m = _mm256_max_ps(_mm256_loadu_ps(x + i), m);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, m);
  float mx = -INFINITY;
  for (const float v : lanes) mx = v > mx ? v : mx;
  for (int64_t i = whole; i < n; ++i) mx = x[i] > mx ? x[i] : mx;
  // exp(x - max) into y, summed in double; the last n % 8 values through a padded copy whose
  // padding lanes are zeroed before they are summed.
  const __m256 shift = _mm256_set1_ps(mx);
  __m256d sum = _mm256_setzero_pd();
  for (int64_t i = 0; i < whole; i += 8) {
    const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), shift));
    _mm256_storeu_ps(y + i, e);
    sum = add_in_double(sum, e);
  }
  if (whole < n) {
    alignas(32) float tail[8] = {};
    std::copy(x + whole, x + n, tail);
    _mm256_store_ps(tail, exp8(_mm256_sub_ps(_mm256_load_ps(tail), shift)));
    std::fill(tail + (n - whole), tail + 8, 0.0f);
    std::copy(tail, tail + (n - whole), y + whole);
    sum = add_in_double(sum, _mm256_load_ps(tail));
  }
  alignas(32) double parts[4];
  _mm256_store_pd(parts, sum);
  const double inverse = 1.0 / ((parts[0] + parts[1]) + (parts[2] + parts[3]));
  // y * (1 / sum) in double, rounded once to float.
  const __m256d scale = _mm256_set1_pd(inverse);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(y + i, _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(y + i)), scale)));
  for (; i < n; ++i) y[i] = static_cast<float>(y[i] * inverse);
}

void exp_floats(const float* x, float* y, int64_t n) { map_floats<exp8>(x, y, n); }
void sigmoid_floats(const float* x, float* y, int64_t n) { map_floats<sigmoid8>(x, y, n); }
void tanh_floats(const float* x, float* y, int64_t n) { map_floats<tanh8>(x, y, n); }
void erf_floats(const float* x, float* y, int64_t n) { map_floats<erf8>(x, y, n); }

#undef QUANT_AVX2
#else
bool vector_math_supported() { return false; }
namespace {
[[noreturn]] void unsupported() { throw Error(ErrorKind::Internal, "the vector float functions are built for x86-64 only"); }
}  // namespace
void exp_floats(const float*, float*, int64_t) { unsupported(); }
void sigmoid_floats(const float*, float*, int64_t) { unsupported(); }
void tanh_floats(const float*, float*, int64_t) { unsupported(); }
void erf_floats(const float*, float*, int64_t) { unsupported(); }
void softmax_floats(const float*, float*, int64_t) { unsupported(); }
#endif

}  // namespace quant::ops
