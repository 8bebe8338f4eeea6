// Float functions over arrays, eight values at a time with AVX2 and FMA where the CPU has them:
// the activations whose scalar form (std::exp in double) cost more than the convolutions around
// them (SiLU = x * Sigmoid(x) in YOLO and EfficientNet exports; Erf in GELU, Tanh in its tanh form).
//
// Every element goes through the same arithmetic whatever its position: the last n % 8 values are
// run through the vector code too, in a padded copy. So a value's result depends on the value
// only, not on the batch or the thread that computed it (calibration's statistics stay byte-identical
// across --batch-size and --threads). docs/ops.md gives the formulas and their error.
#pragma once
#include <cstdint>

namespace quant::ops {

// Whether the functions below run vectorized; when not, callers use their own scalar formula.
bool vector_math_supported();

// y[i] = exp(x[i]): exact at 0; inf above 88.72..., 0 below -103.97...; NaN stays NaN.
void exp_floats(const float* x, float* y, int64_t n);
// y[i] = 1 / (1 + exp(-x[i])).
void sigmoid_floats(const float* x, float* y, int64_t n);
// y[i] = tanh(x[i]).
void tanh_floats(const float* x, float* y, int64_t n);
// y[i] = erf(x[i]) (GELU = x/2 (1 + erf(x / sqrt 2)) in transformer exports).
void erf_floats(const float* x, float* y, int64_t n);
// y = exp(x - max x) / sum of them, over one row of n values: the exponentials as exp_floats, their
// sum in double (eight lanes in four doubles, the last n % 8 values as a zero-padded vector, the
// four added as (s0 + s1) + (s2 + s3): fixed by n alone), each scaled by the sum's inverse in double.
void softmax_floats(const float* x, float* y, int64_t n);

}  // namespace quant::ops
