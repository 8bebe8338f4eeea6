// Integer-only requantization, as an accelerator (and quant's emulator) does it. For y = W x + b
// with affine-quantized tensors, y_q = Z_y + M * acc where acc is the int32 sum and
// M = S_W * S_x / S_y. M is applied without floats as M = M0 * 2^-shift, M0 in [0.5, 1) stored as a
// Q31 integer. The primitives are gemmlowp's, named for exactly what they compute.
#pragma once
#include <cstdint>

namespace quant::qmath {

struct FixedMultiplier {
  int32_t m0_q31 = 0;  // round(M0 * 2^31), M0 in [0.5, 1)
  int shift = 0;       // right shift: M = M0 * 2^-shift (negative for M >= 1)
};

// M = 0.01 -> M0 = 0.64, shift 6, m0_q31 = 1374389535. M must be > 0.
FixedMultiplier quantize_multiplier(double m);

// round(a * b / 2^31) with ties away from zero, saturating the one overflow case (INT32_MIN * INT32_MIN).
int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b);

// round(x / 2^exponent), ties away from zero.
int32_t rounding_divide_by_pot(int32_t x, int exponent);

// acc * M in integers: rounding_divide_by_pot(saturating_rounding_doubling_high_mul(acc, m0), shift).
int32_t multiply_by_quantized_multiplier(int32_t acc, FixedMultiplier m);

}  // namespace quant::qmath
