#include "qmath/qparams.h"

#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>

#include "qmath/rounding.h"

namespace quant::qmath {
namespace {

// The integer ranges of quant-math.md, one row per type: full, narrow (symmetric), reduced.
struct RangeRow {
  const char* name;
  QRange full, narrow, reduced;
};

constexpr std::array<RangeRow, 7> kRanges = {{
    {"uint8", {0, 255}, {0, 254}, {0, 127}},
    {"int8", {-128, 127}, {-127, 127}, {-64, 64}},
    {"uint16", {0, 65535}, {0, 65534}, {0, 32767}},
    {"int16", {-32768, 32767}, {-32767, 32767}, {-16384, 16384}},
    {"uint4", {0, 15}, {0, 15}, {0, 7}},
    {"int4", {-8, 7}, {-8, 7}, {-4, 3}},
    {"int32", {INT32_MIN, INT32_MAX}, {-INT32_MAX, INT32_MAX}, {INT32_MIN / 2, INT32_MAX / 2}},
}};

}  // namespace

QRange qrange_by_name(const std::string& type_name, RangeKind kind) {
  for (const RangeRow& row : kRanges)
    if (type_name == row.name) return kind == RangeKind::Full ? row.full : kind == RangeKind::Narrow ? row.narrow : row.reduced;
  throw Error(ErrorKind::Unsupported, "'" + type_name + "' is not a quantized type (uint8, int8, uint16, int16, uint4, int4, int32)");
}

QRange qrange(DType dtype, RangeKind kind) { return qrange_by_name(dtype_name(dtype), kind); }

QParams compute_qparams(float rmin, float rmax, QRange range, bool symmetric) {
  rmin = std::min(rmin, 0.0f);
  rmax = std::max(rmax, 0.0f);
  if (symmetric) {
    const float a = std::max(std::abs(rmin), std::abs(rmax));
    rmin = -a;
    rmax = a;
  }
  const double qspan = static_cast<double>(range.qmax - range.qmin);
  const double scale = static_cast<double>(rmax - rmin) / qspan;  // rmax - rmin in float32
  if (scale < FLT_MIN) return {1.0f, 0};
  QParams p;
  if (symmetric) p.zero_point = static_cast<int64_t>(round_half_even((static_cast<double>(range.qmin) + range.qmax) / 2.0));
  else p.zero_point = static_cast<int64_t>(round_half_even(static_cast<double>(range.qmin) - static_cast<double>(rmin) / scale));
  p.scale = static_cast<float>(scale);
  return p;
}

RealRange limvals(QParams p, QRange range) {
  return {static_cast<double>(range.qmin - p.zero_point) * p.scale, static_cast<double>(range.qmax - p.zero_point) * p.scale};
}

}  // namespace quant::qmath
