// Dropout at inference (or in training mode with ratio 0): the output is the input and the mask all
// true. Training mode with a ratio above 0 draws random masks: refused, a quantized model is an
// inference graph. (The prepare stage removes
// inference Dropouts; this kernel runs models that were not prepared.)
#include "ops/kernels.h"

namespace quant::ops {

Outputs dropout_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "data");
  const Tensor* training = optional_input(inputs, 2);
  const Tensor* ratio = optional_input(inputs, 1);
  if (training && training->value_as_double(0) != 0 && (!ratio || ratio->value_as_double(0) != 0))
    throw Error(ErrorKind::Unsupported, "Dropout in training mode (random masks) is not supported: quantization works on inference graphs");
  Outputs out{x};
  if (node.outputs.size() > 1 && !node.outputs[1].empty()) {
    Tensor mask(DType::Bool, x.shape(), Init::Uninitialized);
    for (int64_t i = 0; i < mask.numel(); ++i) mask.data<bool>()[i] = true;
    out.push_back(mask);
  }
  return out;
}

}  // namespace quant::ops
