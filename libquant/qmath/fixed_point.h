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

// round(a * b / 2^31), ties upward (0.5 -> 1, -0.5 -> 0, gemmlowp's nudge then truncation),
// saturating the one overflow case (INT32_MIN * INT32_MIN).
int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b);

// round(x / 2^exponent), ties away from zero.
int32_t rounding_divide_by_pot(int32_t x, int exponent);

// acc * M in integers: rounding_divide_by_pot(saturating_rounding_doubling_high_mul(acc, m0), shift).
int32_t multiply_by_quantized_multiplier(int32_t acc, FixedMultiplier m);

// round(acc * M) in one rounding, what quant's emulator uses (docs/quant-math.md says why):
//   (acc * m0_q31 + 2^(30 + shift)) >> (31 + shift)
// with a flooring (arithmetic) shift, so ties go up (12.5 -> 13, -12.5 -> -12). The product is taken
// in 128 bits, so it is exact for any 64-bit accumulator (16x16-bit sums) and any shift in
// [-30, 62]. The two-step form above rounds twice and can land one step off: acc 9, M 0.375 = 0.75 *
// 2^-1 gives round(6.75) = 7, then 7 / 2 = 3.5 -> 4, where 9 * 0.375 = 3.375 -> 3.
int64_t multiply_by_quantized_multiplier_rounding_once(int64_t acc, FixedMultiplier m);

}  // namespace quant::qmath
