// Folds an inference-mode BatchNormalization that directly follows a Conv, ConvTranspose or Gemm
// into that op's weight and bias, so the weights quantize as they will run:
//   s = scale / sqrt(var + epsilon)            (per output channel c)
//   W'[c] = W[c] * s[c]                        (along the op's output-channel axis)
//   B'[c] = (B[c] - mean[c]) * s[c] + bias[c]  (B = 0 when the op has no bias)
// For Gemm, Y = alpha*A*B + beta*C, B above is beta*C and the folded Gemm has beta = 1.
#pragma once
#include "ir/graph.h"

namespace quant::prepare {

// Returns how many BatchNormalization nodes were folded. One is left alone when the op's output
// has other readers or is a graph output, or when a weight or statistic is not a constant.
int fold_batch_norms(ir::Graph& graph);

}  // namespace quant::prepare
