#include "qmath/fixed_point.h"

#include <cmath>
#include <limits>

#include "core/error.h"

namespace quant::qmath {

FixedMultiplier quantize_multiplier(double m) {
  if (!(m > 0.0) || !std::isfinite(m)) throw Error(ErrorKind::Internal, "quantize_multiplier needs a positive finite multiplier");
  int exponent = 0;
  const double m0 = std::frexp(m, &exponent);  // m = m0 * 2^exponent, m0 in [0.5, 1)
  int64_t q = static_cast<int64_t>(std::llround(m0 * (1LL << 31)));
  if (q == (1LL << 31)) {  // m0 rounded up to 1.0: renormalize
    q /= 2;
    ++exponent;
  }
  return {static_cast<int32_t>(q), -exponent};
}

int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  if (a == b && a == std::numeric_limits<int32_t>::min()) return std::numeric_limits<int32_t>::max();
  const int64_t ab = static_cast<int64_t>(a) * b;
  const int64_t nudge = ab >= 0 ? (1LL << 30) : 1 - (1LL << 30);
  return static_cast<int32_t>((ab + nudge) / (1LL << 31));
}

int32_t rounding_divide_by_pot(int32_t x, int exponent) {
  if (exponent <= 0) return x;
  const int32_t mask = static_cast<int32_t>((1LL << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t multiply_by_quantized_multiplier(int32_t acc, FixedMultiplier m) {
  const int left = m.shift < 0 ? -m.shift : 0;
  const int right = m.shift > 0 ? m.shift : 0;
  return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(acc * (1 << left), m.m0_q31), right);
}

int64_t multiply_by_quantized_multiplier_rounding_once(int64_t acc, FixedMultiplier m) {
  const int total = 31 + m.shift;
  if (total < 1 || total > 93) throw Error(ErrorKind::Internal, "multiplier shift out of range");
  const __int128 product = static_cast<__int128>(acc) * m.m0_q31 + (static_cast<__int128>(1) << (total - 1));
  const __int128 y = product >> total;  // arithmetic shift: floor
  constexpr __int128 kMax = std::numeric_limits<int64_t>::max(), kMin = std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(y > kMax ? kMax : (y < kMin ? kMin : y));
}

}  // namespace quant::qmath
