// Pure number formats and rounding, against hand-computed values.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "core/half.h"
#include "qmath/rounding.h"

using namespace quant;

TEST_CASE("float16 conversion rounds to nearest even", "[half]") {
  CHECK(float_to_half_bits(1.0f) == 0x3C00);
  CHECK(float_to_half_bits(-2.0f) == 0xC000);
  CHECK(float_to_half_bits(65504.0f) == 0x7BFF);               // largest half
  CHECK(float_to_half_bits(65519.0f) == 0x7BFF);               // below the half-way point to 65536
  CHECK(float_to_half_bits(65520.0f) == 0x7C00);               // rounds up to infinity
  CHECK(float_to_half_bits(std::ldexp(1.0f, -24)) == 0x0001);  // smallest subnormal
  CHECK(float_to_half_bits(std::ldexp(1.0f, -25)) == 0x0000);  // half of it: ties to even (0)
  CHECK(float_to_half_bits(std::ldexp(3.0f, -25)) == 0x0002);  // 1.5 ulp: ties to even (2)
  CHECK(float_to_half_bits(std::ldexp(1.0f, -14)) == 0x0400);  // smallest normal
  // 1 + 2^-11 is half-way between 1 and 1 + 2^-10: ties to even (1.0); 1 + 3 * 2^-11 goes up.
  CHECK(float_to_half_bits(1.0f + std::ldexp(1.0f, -11)) == 0x3C00);
  CHECK(float_to_half_bits(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3C02);
  CHECK(float_to_half_bits(0.1f) == 0x2E66);
  CHECK(float_to_half_bits(std::numeric_limits<float>::infinity()) == 0x7C00);
  CHECK((float_to_half_bits(std::nanf("")) & 0x7C00) == 0x7C00);
  CHECK(half_bits_to_float(0x3C00) == 1.0f);
  CHECK(half_bits_to_float(0x0001) == std::ldexp(1.0f, -24));
  CHECK(half_bits_to_float(0x7BFF) == 65504.0f);
  CHECK(std::isinf(half_bits_to_float(0xFC00)));
  for (uint32_t bits = 0; bits < 0x7C00; ++bits)  // every finite half survives a round trip
    REQUIRE(float_to_half_bits(half_bits_to_float(static_cast<uint16_t>(bits))) == bits);
}

TEST_CASE("bfloat16 conversion rounds to nearest even", "[half]") {
  CHECK(float_to_bfloat16_bits(1.0f) == 0x3F80);
  CHECK(float_to_bfloat16_bits(1.0f + std::ldexp(1.0f, -8)) == 0x3F80);      // tie -> even
  CHECK(float_to_bfloat16_bits(1.0f + 3 * std::ldexp(1.0f, -8)) == 0x3F82);  // tie -> even (up)
  CHECK(bfloat16_bits_to_float(0x3F80) == 1.0f);
}

TEST_CASE("round_half_even", "[qmath]") {
  CHECK(qmath::round_half_even(0.5) == 0.0);
  CHECK(qmath::round_half_even(1.5) == 2.0);
  CHECK(qmath::round_half_even(2.5) == 2.0);
  CHECK(qmath::round_half_even(-0.5) == 0.0);
  CHECK(qmath::round_half_even(-1.5) == -2.0);
  CHECK(qmath::round_half_even(-2.5) == -2.0);
  CHECK(qmath::round_half_even(2.4999) == 2.0);
  CHECK(qmath::round_half_even(2.5f) == 2.0f);
}

TEST_CASE("quantize_value and dequantize_value", "[qmath]") {
  // uint8 with scale 0.1, zero point 128: 1.25 / 0.1 = 12.5 -> 12 (tie to even) -> 140.
  CHECK(qmath::quantize_value(1.25f, 0.1f, 128, 0, 255) == 140);
  CHECK(qmath::quantize_value(1.35f, 0.1f, 128, 0, 255) == 142);    // 13.5 -> 14 (tie to even)
  CHECK(qmath::quantize_value(-12.8f, 0.1f, 128, 0, 255) == 0);     // exactly the lower limit
  CHECK(qmath::quantize_value(-100.0f, 0.1f, 128, 0, 255) == 0);    // saturates
  CHECK(qmath::quantize_value(1e30f, 0.1f, 128, 0, 255) == 255);    // saturates without overflow
  CHECK(qmath::quantize_value(-INFINITY, 0.1f, 128, 0, 255) == 0);
  CHECK(qmath::quantize_value(0.0f, 0.1f, 128, 0, 255) == 128);     // zero is exact
  // int8 symmetric: scale 2/127.
  CHECK(qmath::quantize_value(1.0f, 2.0f / 127, 0, -128, 127) == 64);  // 63.5 -> 64 (even)
  CHECK(qmath::quantize_value(-3.0f, 2.0f / 127, 0, -128, 127) == -128);
  // uint16, as a16 activations: zp 32767.
  CHECK(qmath::quantize_value(1.1f, 2.2f / 65535, 32767, 0, 65535) == 65535);
  CHECK(qmath::dequantize_value(140, 0.1f, 128) == Approx(1.2f));
  CHECK(qmath::dequantize_value(0, 0.5f, 3) == -1.5f);
}

#include "qmath/fixed_point.h"
#include "qmath/qparams.h"

TEST_CASE("integer ranges per type", "[qmath]") {
  CHECK(qmath::qrange(DType::UInt8).qmax == 255);
  CHECK(qmath::qrange(DType::Int8, qmath::RangeKind::Narrow).qmin == -127);
  CHECK(qmath::qrange(DType::Int8, qmath::RangeKind::Reduced).qmin == -64);
  CHECK(qmath::qrange(DType::UInt16).qmax == 65535);
  CHECK(qmath::qrange(DType::Int16, qmath::RangeKind::Narrow).qmin == -32767);
  CHECK(qmath::qrange_by_name("int4").qmin == -8);
  CHECK_THROWS_WITH(qmath::qrange(DType::Float32), Catch::Contains("'float32' is not a quantized type"));
}

TEST_CASE("scale and zero point follow ONNX Runtime's formula", "[qmath]") {
  const qmath::QRange u8 = qmath::qrange(DType::UInt8);
  // [-1.1, 1.1] in uint8: scale 2.2/255, zp = round(0 - (-1.1)/(2.2/255)) = round(127.5) = 128 (ties to even).
  qmath::QParams p = qmath::compute_qparams(-1.1f, 1.1f, u8, false);
  CHECK(p.scale == static_cast<float>(static_cast<double>(1.1f - -1.1f) / 255.0));
  CHECK(p.zero_point == 128);
  // [0, 1.1] (a sigmoid head): zp 0, scale 1.1/255.
  p = qmath::compute_qparams(0.0f, 1.1f, u8, false);
  CHECK(p.zero_point == 0);
  CHECK(p.scale == static_cast<float>(1.1 / 255.0 * (static_cast<double>(1.1f) / 1.1)));
  // A range not containing 0 is widened to include it: [2, 5] -> [0, 5].
  p = qmath::compute_qparams(2.0f, 5.0f, u8, false);
  CHECK(p.zero_point == 0);
  CHECK(p.scale == static_cast<float>(5.0 / 255.0));
  // [-3, 1] uint8: scale 4/255, zp = round(3 / (4/255)) = round(191.25) = 191.
  CHECK(qmath::compute_qparams(-3.0f, 1.0f, u8, false).zero_point == 191);
  // Symmetric int8 narrow (weights): a = 2.54, scale = 5.08/254 = 0.02, zp 0.
  p = qmath::compute_qparams(-1.0f, 2.54f, qmath::qrange(DType::Int8, qmath::RangeKind::Narrow), true);
  CHECK(p.zero_point == 0);
  CHECK(p.scale == Approx(0.02f));
  // Symmetric uint8 puts zp at the middle: round(127.5) = 128.
  CHECK(qmath::compute_qparams(-1.0f, 1.0f, u8, true).zero_point == 128);
  // 16-bit [-1.1, 1.1]: zp = round(32767.5) = 32768 (even), limits symmetric around it.
  p = qmath::compute_qparams(-1.1f, 1.1f, qmath::qrange(DType::UInt16), false);
  CHECK(p.zero_point == 32768);
  // A constant-zero tensor: scale 1, zp 0.
  p = qmath::compute_qparams(0.0f, 0.0f, u8, false);
  CHECK(p.scale == 1.0f);
  CHECK(p.zero_point == 0);
}

TEST_CASE("limvals are the real range the integers cover", "[qmath]") {
  const qmath::RealRange r = qmath::limvals({0.5f, 10}, qmath::qrange(DType::UInt8));
  CHECK(r.min == -5.0);
  CHECK(r.max == 122.5);
}

TEST_CASE("fixed-point requantization: the worked example", "[qmath][fixed]") {
  // M = 0.01 = 0.64 * 2^-6; 0.64 * 2^31 = 1374389534.72 -> 1374389535.
  const qmath::FixedMultiplier m = qmath::quantize_multiplier(0.01);
  CHECK(m.m0_q31 == 1374389535);
  CHECK(m.shift == 6);
  CHECK(qmath::multiply_by_quantized_multiplier(1234, m) == 12);     // 12.34 -> 12
  CHECK(qmath::multiply_by_quantized_multiplier(1250, m) == 13);     // 12.5 -> 13 (ties away from zero)
  CHECK(qmath::multiply_by_quantized_multiplier(-1250, m) == -13);
  CHECK(qmath::saturating_rounding_doubling_high_mul(INT32_MIN, INT32_MIN) == INT32_MAX);
  CHECK(qmath::saturating_rounding_doubling_high_mul(1 << 30, 1 << 30) == 1 << 29);  // 0.5 * 0.5 = 0.25 in Q31
  CHECK(qmath::rounding_divide_by_pot(5, 1) == 3);    // 2.5 -> 3
  CHECK(qmath::rounding_divide_by_pot(-5, 1) == -3);  // -2.5 -> -3
  CHECK(qmath::rounding_divide_by_pot(7, 2) == 2);    // 1.75 -> 2
  const qmath::FixedMultiplier big = qmath::quantize_multiplier(3.0);  // 0.75 * 2^2
  CHECK(big.shift == -2);
  CHECK(qmath::multiply_by_quantized_multiplier(100, big) == 300);
  // Ties in the high multiply go upward: 0.5 * 2^31 * 2^31 / 2^31 ... = +0.5 -> 1, -0.5 -> 0.
  CHECK(qmath::saturating_rounding_doubling_high_mul(1, 1 << 30) == 1);
  CHECK(qmath::saturating_rounding_doubling_high_mul(-1, 1 << 30) == 0);
}

TEST_CASE("fixed-point requantization in one rounding", "[qmath][fixed]") {
  const qmath::FixedMultiplier m = qmath::quantize_multiplier(0.01);  // m0_q31 1374389535, shift 6
  // 1234 * 1374389535 / 2^37 = 12.34000000008 -> 12; 1250 -> 12.50000000029 -> 13 (M0 rounded up);
  // -1250 -> -12.50000000029 -> -13.
  CHECK(qmath::multiply_by_quantized_multiplier_rounding_once(1234, m) == 12);
  CHECK(qmath::multiply_by_quantized_multiplier_rounding_once(1250, m) == 13);
  CHECK(qmath::multiply_by_quantized_multiplier_rounding_once(-1250, m) == -13);
  // An exact tie goes up: M = 0.5 (m0 2^30, shift 0): 5 * 0.5 = 2.5 -> 3, -5 * 0.5 = -2.5 -> -2.
  const qmath::FixedMultiplier half = qmath::quantize_multiplier(0.5);
  CHECK(half.m0_q31 == (1 << 30));
  CHECK(half.shift == 0);
  CHECK(qmath::multiply_by_quantized_multiplier_rounding_once(5, half) == 3);
  CHECK(qmath::multiply_by_quantized_multiplier_rounding_once(-5, half) == -2);
  // Double rounding: M = 0.375 = 0.75 * 2^-1 (m0 1610612736, shift 1), acc 9. The two-step form gives
  // round(6.75) = 7, then 7 / 2 = 3.5 -> 4; one rounding: (9 * 1610612736 + 2^31) >> 32 = floor(3.875) = 3.
  const qmath::FixedMultiplier m375 = qmath::quantize_multiplier(0.375);
  CHECK(m375.m0_q31 == 1610612736);
  CHECK(m375.shift == 1);
  CHECK(qmath::multiply_by_quantized_multiplier(9, m375) == 4);
  CHECK(qmath::multiply_by_quantized_multiplier_rounding_once(9, m375) == 3);
  // A 16x16-bit accumulator: 2^40 * 1374389535 / 2^37 = 8 * 1374389535 = 10995116280 exactly (the
  // exact 2^40 * 0.01 is 10995116277.76: M0's Q31 rounding shows at this size).
  CHECK(qmath::multiply_by_quantized_multiplier_rounding_once(int64_t{1} << 40, m) == 10995116280);
  CHECK(qmath::multiply_by_quantized_multiplier_rounding_once(-(int64_t{1} << 40), m) == -10995116280);
  // M >= 1: 3 = 0.75 * 2^2 (shift -2).
  CHECK(qmath::multiply_by_quantized_multiplier_rounding_once(int64_t{1} << 40, qmath::quantize_multiplier(3.0)) == 3 * (int64_t{1} << 40));
}
