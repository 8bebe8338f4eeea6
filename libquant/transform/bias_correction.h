// post_quantization_optimization(bias_correction, policy=enabled): quantizing a layer's weights
// shifts the mean of its output. For each quantized Conv/Gemm with a bias, the shift is measured on
// the calibration data, with the layer's float input x and the weight error dW = W - dequant(quant(W)):
//   shift[c] = mean over samples and positions of (conv_or_gemm(x, dW))[c]
// and the float bias absorbs it: b[c] += shift[c] (so that W_q x + b_new has the float layer's mean).
// Samples run one at a time, in order, so the result does not depend on batch size or threads.
#pragma once
#include "calib/calibrator.h"
#include "ir/graph.h"
#include "plan/plan.h"

namespace quant::transform {

// Returns how many layers were corrected.
int correct_biases(ir::Model& model, const plan::QuantPlan& plan, const std::vector<calib::CalibrationInput>& inputs, int64_t samples);

}  // namespace quant::transform
