// Cross-layer equalization (Nagel et al. 2019): for two consecutive Conv/Gemm layers joined by a
// positively homogeneous activation (Relu, LeakyRelu, or Clip(0, M)), channel c of the first layer's
// output range r1[c] = max|W1[c, ...]| and of the second's input range r2[c] = max|W2[:, c, ...]|
// are equalized with s[c] = sqrt(r1[c] / r2[c]):
//   W1[c] /= s[c], b1[c] /= s[c], W2[:, c] *= s[c]      (both ranges become sqrt(r1 r2))
// Because relu(x / s) = relu(x) / s for s > 0, the float model computes the same function (to float
// rounding). A Clip(0, M) becomes Relu followed by Min with the per-channel bound M / s[c], which
// keeps the function exact. This helps per-tensor weight quantization most.
#pragma once
#include "ir/graph.h"

namespace quant::transform {

// Returns the number of layer pairs equalized.
int equalize_layers(ir::Model& model);

}  // namespace quant::transform
