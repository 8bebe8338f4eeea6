// IEEE half and bfloat16 storage types with round-to-nearest-even conversion from float.
#pragma once
#include <cstdint>
#include <cstring>

namespace quant {

uint16_t float_to_half_bits(float f);  // round to nearest even; overflow -> inf; NaN kept
float half_bits_to_float(uint16_t h);
uint16_t float_to_bfloat16_bits(float f);  // round to nearest even on the dropped 16 bits
float bfloat16_bits_to_float(uint16_t b);

struct Half {
  uint16_t bits = 0;
  Half() = default;
  explicit Half(float f) : bits(float_to_half_bits(f)) {}
  operator float() const { return half_bits_to_float(bits); }
};

struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  explicit BFloat16(float f) : bits(float_to_bfloat16_bits(f)) {}
  operator float() const { return bfloat16_bits_to_float(bits); }
};

}  // namespace quant
