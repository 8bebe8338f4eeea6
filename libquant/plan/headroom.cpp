#include "plan/headroom.h"

#include <algorithm>

namespace quant::plan {

calib::Range with_headroom(calib::Range range, double fraction, float bound_lo, float bound_hi) {
  const double width = range.hi - range.lo;
  if (!(width > 0) || !(fraction > 0)) return range;
  calib::Range out = range;
  if (range.lo != 0) out.lo = std::max<double>(range.lo - fraction * width, bound_lo);
  if (range.hi != 0) out.hi = std::min<double>(range.hi + fraction * width, bound_hi);
  // The bounds never narrow what calibration saw (a model may not be what its op table says).
  out.lo = std::min(out.lo, range.lo);
  out.hi = std::max(out.hi, range.hi);
  return out;
}

}  // namespace quant::plan
