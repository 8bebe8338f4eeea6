// The QDQ model: the float model with QuantizeLinear -> DequantizeLinear pairs on every planned
// activation, weights stored quantized behind a DequantizeLinear (with `axis` when per channel) and
// biases as int32 behind one. ONNX Runtime fuses these pairs into integer kernels.
//   activation T:  producer -> T -> QuantizeLinear -> T_quantized -> DequantizeLinear -> T_dequantized -> readers
//                  (a graph output keeps its name: the producer writes T_prequant, the DequantizeLinear writes T)
//   weight W:      W_quantized (int8) -> DequantizeLinear(W_scale, W_zero_point, axis) -> W_dequantized -> reader
// Scales and zero points are initializers named <tensor>_scale and <tensor>_zero_point.
#pragma once
#include "ir/graph.h"
#include "plan/plan.h"

namespace quant::emit {

// Needs opset 13 (per-axis DequantizeLinear) unless every weight is per tensor (then 10).
ir::Model make_qdq_model(const ir::Model& float_model, const plan::QuantPlan& plan);

// The float model with every float initializer of 2 or more elements stored as float16 behind a
// Cast to float: half the weight bytes, computation still in float32 (a baseline precision).
ir::Model make_fp16_weight_model(const ir::Model& float_model);

}  // namespace quant::emit
