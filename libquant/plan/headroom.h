// Headroom for 16-bit activation ranges. Calibration sees a sample of the inputs; values a little
// beyond what it saw are clamped at inference, which at 16 bits is by far the largest error (the
// policy model: 56.9 dB on fresh inputs against 86-91 dB on the calibration inputs, the same max
// error as 8 bits). 16 bits have resolution to spare, so their ranges are widened:
//
//   w = hi - lo;  lo' = lo - f*w (unless lo == 0);  hi' = hi + f*w (unless hi == 0)
//   then [lo', hi'] is cut to the producing op's output bounds (Sigmoid [0, 1], Tanh [-1, 1], ...)
//
// A side at exactly 0 stays there (ReLU outputs, and 0 stays exactly representable at the edge).
// With f = 0.25 the step grows 1.5x: 0.58 bit, 3.5 dB of quantization noise at 16 bits (about
// 90 dB left), against no clamping for values up to a quarter of the width beyond the range seen.
// 8-bit ranges are left as calibrated: there a step costs more than the rare clamp.
#pragma once
#include "calib/range.h"

namespace quant::plan {

calib::Range with_headroom(calib::Range range, double fraction, float bound_lo, float bound_hi);

}  // namespace quant::plan
