// MaxPool and AveragePool on float32 through oneDNN's pooling primitive, in the input's layout (plain
// or channels-last). Returns nullopt where oneDNN's rules differ from ONNX's, for the caller's own
// kernel to run: a ceil_mode window that ends before the padded input would need negative padding,
// and count_include_pad where a ceil_mode window reaches past the declared padding (ONNX counts only
// up to it).
#pragma once
#include <optional>

#include "core/tensor.h"
#include "ops/kernel.h"
#include "ops/window.h"

namespace quant::ops {

enum class PoolKind { Max, Average };

std::optional<Tensor> pool_forward_onednn(PoolKind kind, const Window3& w, bool include_pad, const Tensor& x, const Shape& out_shape,
                                          const KernelConfig& config);

}  // namespace quant::ops
