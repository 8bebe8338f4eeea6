#include "core/half.h"

#include <cmath>

namespace quant {
namespace {
uint32_t bits_of(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
float float_of(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
}  // namespace

uint16_t float_to_half_bits(float f) {
  const uint32_t u = bits_of(f);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const uint32_t abs = u & 0x7fffffffu;
  if (abs >= 0x7f800000u) return sign | (abs > 0x7f800000u ? 0x7e00u : 0x7c00u);  // NaN / inf
  if (abs >= 0x477ff000u) return sign | 0x7c00u;  // rounds to >= 65520: overflow to inf
  if (abs < 0x38800000u) {
    // Subnormal half (or zero): value = m * 2^-24. Let the FPU round half to even for us by
    // adding 0.5 (= 2^-1) which aligns the mantissa so the wanted bits land at the bottom.
    const float rounded = float_of(abs) + 0.5f;
    return sign | static_cast<uint16_t>(bits_of(rounded) - bits_of(0.5f));
  }
  // Normal: rebias exponent (127 -> 15) and round the 13 dropped mantissa bits half to even.
  const uint32_t mant_odd = (abs >> 13) & 1u;
  uint32_t v = abs + (static_cast<uint32_t>(15 - 127) << 23) + 0xfffu + mant_odd;
  return sign | static_cast<uint16_t>(v >> 13);
}

float half_bits_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  if (exp == 0) {
    const float v = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -v : v;
  }
  if (exp == 31) return float_of(sign | 0x7f800000u | (mant << 13));
  return float_of(sign | ((exp + 127 - 15) << 23) | (mant << 13));
}

uint16_t float_to_bfloat16_bits(float f) {
  const uint32_t u = bits_of(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);  // quiet NaN
  const uint32_t rounding = 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>((u + rounding) >> 16);
}

float bfloat16_bits_to_float(uint16_t b) { return float_of(static_cast<uint32_t>(b) << 16); }

}  // namespace quant
