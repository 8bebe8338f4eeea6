// The quantization arithmetic every stage shares (docs/quant-math.md is the prose version).
// Pure functions, no allocation; each is tested against hand-computed values.
#pragma once
#include <cmath>
#include <cstdint>

namespace quant::qmath {

// Round half to even (banker's rounding): 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -0.5 -> -0, -1.5 -> -2.
// std::nearbyint does exactly this in the default FE_TONEAREST mode, which quant never changes.
inline double round_half_even(double x) { return std::nearbyint(x); }
inline float round_half_even(float x) { return std::nearbyint(x); }

// q = clamp(round_half_even(x / scale) + zero_point, qmin, qmax), the division in float32 as
// ONNX QuantizeLinear and ONNX Runtime compute it.
inline int64_t quantize_value(float x, float scale, int64_t zero_point, int64_t qmin, int64_t qmax) {
  const float scaled = round_half_even(x / scale);
  // Saturate in float first so that huge values (or infinities) cannot overflow the conversion.
  const float lo = static_cast<float>(qmin - zero_point), hi = static_cast<float>(qmax - zero_point);
  if (!(scaled >= lo)) return std::isnan(scaled) ? zero_point : qmin;
  if (scaled > hi) return qmax;
  const int64_t q = static_cast<int64_t>(scaled) + zero_point;
  return q < qmin ? qmin : (q > qmax ? qmax : q);
}

// The same with the division in double, for int32 biases (ONNX Runtime: round(double(b) / double(scale))):
// a float32 quotient could not hold 31 significant bits.
inline int64_t quantize_value_double(float x, float scale, int64_t zero_point, int64_t qmin, int64_t qmax) {
  const double scaled = round_half_even(static_cast<double>(x) / static_cast<double>(scale)) + static_cast<double>(zero_point);
  if (!(scaled >= static_cast<double>(qmin))) return std::isnan(scaled) ? zero_point : qmin;
  if (scaled > static_cast<double>(qmax)) return qmax;
  return static_cast<int64_t>(scaled);
}

// real = (q - zero_point) * scale, in float32 as ONNX DequantizeLinear computes it.
inline float dequantize_value(int64_t q, float scale, int64_t zero_point) {
  return static_cast<float>(q - zero_point) * scale;
}

}  // namespace quant::qmath
