// Every kernel function, one per op (or per family sharing one formula table). The op table
// (op_table.cpp) maps ONNX op names to these.
#pragma once
#include "ops/kernel.h"

namespace quant::ops {

#define QUANT_KERNEL(name) Outputs name(const ir::Node& node, const Inputs& inputs, const KernelConfig& config)
QUANT_KERNEL(add_kernel);
QUANT_KERNEL(sub_kernel);
QUANT_KERNEL(mul_kernel);
QUANT_KERNEL(div_kernel);
QUANT_KERNEL(min_kernel);
QUANT_KERNEL(max_kernel);
QUANT_KERNEL(pow_kernel);
QUANT_KERNEL(unary_kernel);
// A unary op's function (its attributes at their defaults) over n floats, exactly as unary_kernel
// computes it: for a pass that runs the op inside a fused chain (ops/gelu_unit.h).
void unary_floats(const std::string& op_type, const float* x, float* y, int64_t n, bool reference);
QUANT_KERNEL(clip_kernel);
QUANT_KERNEL(conv_kernel);
QUANT_KERNEL(conv_transpose_kernel);
QUANT_KERNEL(gemm_kernel);
QUANT_KERNEL(matmul_kernel);
QUANT_KERNEL(max_pool_kernel);
QUANT_KERNEL(average_pool_kernel);
QUANT_KERNEL(global_average_pool_kernel);
QUANT_KERNEL(batch_norm_kernel);
QUANT_KERNEL(softmax_kernel);
QUANT_KERNEL(concat_kernel);
QUANT_KERNEL(reshape_kernel);
QUANT_KERNEL(flatten_kernel);
QUANT_KERNEL(transpose_kernel);
QUANT_KERNEL(squeeze_kernel);
QUANT_KERNEL(unsqueeze_kernel);
QUANT_KERNEL(slice_kernel);
QUANT_KERNEL(gather_kernel);
QUANT_KERNEL(shape_kernel);
QUANT_KERNEL(cast_kernel);
QUANT_KERNEL(constant_kernel);
QUANT_KERNEL(resize_kernel);
QUANT_KERNEL(pad_kernel);
QUANT_KERNEL(reduce_kernel);
QUANT_KERNEL(identity_kernel);
QUANT_KERNEL(split_kernel);
QUANT_KERNEL(quantize_linear_kernel);
QUANT_KERNEL(dequantize_linear_kernel);
// quant's integer ops (domain quant.integer), which the emulate stage writes for a QDQ model.
QUANT_KERNEL(integer_conv_kernel);
QUANT_KERNEL(integer_gemm_kernel);
QUANT_KERNEL(integer_matmul_kernel);
QUANT_KERNEL(integer_global_average_pool_kernel);
QUANT_KERNEL(requantize_kernel);
QUANT_KERNEL(table_lookup_kernel);
QUANT_KERNEL(sum_kernel);
QUANT_KERNEL(mean_kernel);
QUANT_KERNEL(prelu_kernel);
QUANT_KERNEL(equal_kernel);
QUANT_KERNEL(greater_kernel);
QUANT_KERNEL(less_kernel);
QUANT_KERNEL(greater_or_equal_kernel);
QUANT_KERNEL(less_or_equal_kernel);
QUANT_KERNEL(and_kernel);
QUANT_KERNEL(or_kernel);
QUANT_KERNEL(xor_kernel);
QUANT_KERNEL(not_kernel);
QUANT_KERNEL(is_nan_kernel);
QUANT_KERNEL(is_inf_kernel);
QUANT_KERNEL(mod_kernel);
QUANT_KERNEL(bit_shift_kernel);
QUANT_KERNEL(arg_max_kernel);
QUANT_KERNEL(arg_min_kernel);
QUANT_KERNEL(log_softmax_kernel);
QUANT_KERNEL(hardmax_kernel);
QUANT_KERNEL(where_kernel);
QUANT_KERNEL(expand_kernel);
QUANT_KERNEL(tile_kernel);
QUANT_KERNEL(constant_of_shape_kernel);
QUANT_KERNEL(range_kernel);
QUANT_KERNEL(size_kernel);
QUANT_KERNEL(eye_like_kernel);
QUANT_KERNEL(global_max_pool_kernel);
QUANT_KERNEL(gather_elements_kernel);
QUANT_KERNEL(scatter_elements_kernel);
QUANT_KERNEL(gather_nd_kernel);
QUANT_KERNEL(scatter_nd_kernel);
QUANT_KERNEL(trilu_kernel);
QUANT_KERNEL(cumsum_kernel);
QUANT_KERNEL(depth_to_space_kernel);
QUANT_KERNEL(space_to_depth_kernel);
QUANT_KERNEL(topk_kernel);
QUANT_KERNEL(one_hot_kernel);
QUANT_KERNEL(nonzero_kernel);
QUANT_KERNEL(non_max_suppression_kernel);
QUANT_KERNEL(einsum_kernel);
QUANT_KERNEL(grid_sample_kernel);
QUANT_KERNEL(roi_align_kernel);
QUANT_KERNEL(compress_kernel);
QUANT_KERNEL(cast_like_kernel);
QUANT_KERNEL(dropout_kernel);
QUANT_KERNEL(layer_norm_kernel);
QUANT_KERNEL(instance_norm_kernel);
QUANT_KERNEL(mean_variance_norm_kernel);
QUANT_KERNEL(lrn_kernel);
QUANT_KERNEL(nll_loss_kernel);
QUANT_KERNEL(softmax_cross_entropy_kernel);
QUANT_KERNEL(rnn_kernel);
QUANT_KERNEL(gru_kernel);
QUANT_KERNEL(lstm_kernel);
QUANT_KERNEL(control_flow_kernel);
QUANT_KERNEL(upsample_kernel);
#undef QUANT_KERNEL

}  // namespace quant::ops
