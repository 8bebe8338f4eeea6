// Scale and zero point from a real range, and the integer ranges of each quantized type.
// docs/quant-math.md has the same rules in prose; the tests check them against hand-computed values.
#pragma once
#include <cstdint>
#include <string>

#include "core/dtype.h"

namespace quant::qmath {

// Which integers a quantized tensor may hold.
enum class RangeKind {
  Full,       // the whole type: uint8 0..255, int8 -128..127
  Narrow,     // symmetric: uint8 0..254, int8 -127..127 (weights, so that +a and -a both fit)
  Reduced,    // one bit less, for hardware that accumulates in 16 bits: uint8 0..127, int8 -64..64
};

struct QRange {
  int64_t qmin = 0, qmax = 255;
};

// The integer range of a quantized type (uint8/int8/uint16/int16/uint4/int4 and int32 for bias).
// Throws Unsupported for other types.
QRange qrange(DType dtype, RangeKind kind = RangeKind::Full);
// uint4/int4 are not DTypes yet; their ranges by name: "uint4", "int4".
QRange qrange_by_name(const std::string& type_name, RangeKind kind = RangeKind::Full);

struct QParams {
  float scale = 1.0f;
  int64_t zero_point = 0;
};

// ONNX Runtime's compute_scale_zp, bit for bit:
//   rmin = min(rmin, 0); rmax = max(rmax, 0)             (0 must be exactly representable)
//   symmetric: a = max(|rmin|, |rmax|); rmin = -a; rmax = a
//   scale = double(float(rmax - rmin)) / (qmax - qmin)  (subtraction in float32, division in double)
//   scale < FLT_MIN (constant-zero tensor): scale = 1, zp = 0
//   symmetric: zp = round_half_even((qmin + qmax) / 2)
//   else:      zp = round_half_even(qmin - rmin / scale)  (in double)
//   scale = float(scale)                                 (after zp is computed)
QParams compute_qparams(float rmin, float rmax, QRange range, bool symmetric);

// The real range a quantized tensor can hold: [(qmin - zp) * scale, (qmax - zp) * scale]
// (Hailo's limvals_min / limvals_max).
struct RealRange {
  double min = 0, max = 0;
};
RealRange limvals(QParams p, QRange range);

}  // namespace quant::qmath
