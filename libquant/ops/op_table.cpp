#include <algorithm>
#include "ops/op_table.h"

#include <array>

#include "ops/kernels.h"

namespace quant::ops {
namespace {

constexpr OpFacts kElementwise{OpKind::Elementwise};
// Element-wise arithmetic with broadcasting (OpFacts::pointwise).
constexpr OpFacts pointwise(OpFacts f) { f.pointwise = true; return f; }
constexpr OpFacts kPointwise = pointwise(kElementwise);
// Activations: a function of each element (OpFacts::pointwise).
constexpr OpFacts kActivation = pointwise({OpKind::Activation});
constexpr OpFacts kMovement{OpKind::DataMovement};
// Data movement that keeps every value once, only in another order (OpFacts::same_values).
constexpr OpFacts rearranging() {
  OpFacts f{OpKind::DataMovement};
  f.same_values = true;
  return f;
}
constexpr OpFacts kRearrange = rearranging();
constexpr OpFacts kShapeOnly{OpKind::ShapeOnly};
constexpr OpFacts kQuantization{OpKind::Quantization};
// Fragile ops (plan/policy.cpp): float by default, 16 bits with --full-integer.
constexpr OpFacts fragile(OpKind kind, const char* why) {
  return {kind, -1, -1, ChannelAxis::None, why, -1, -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity(),
          kind == OpKind::Activation};
}
constexpr OpFacts kTrigonometric = fragile(OpKind::Activation, "trigonometric");
// Ops whose inputs after the first are parameters (OpFacts::parameters_from).
constexpr OpFacts with_parameters(OpKind kind) {
  return {kind, -1, -1, ChannelAxis::None, nullptr, 1, -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity(),
          kind == OpKind::Activation};
}

// Ops whose output lies in [lo, hi] whatever the input (OpFacts::output_lo/hi).
constexpr OpFacts bounded(OpKind kind, float lo, float hi) {
  return {kind, -1, -1, ChannelAxis::None, nullptr, -1, lo, hi, kind == OpKind::Activation};
}

// Keep sorted by op name: a reader looks an op up here, and the table drives `quantize ops`.
// The trailing fields: takes channels-last inputs, fuses a clamp, which inputs it takes in blocks
// of 8 channels (OpEntry).
constexpr std::array kOps = {
    OpEntry{"Abs", unary_kernel, kActivation, true},
    OpEntry{"Acos", unary_kernel, kTrigonometric, true},
    OpEntry{"Acosh", unary_kernel, kTrigonometric, true},
    OpEntry{"Add", add_kernel, kPointwise, true, false, ChannelBlocks::AllInputs},
    OpEntry{"And", and_kernel, kElementwise},
    OpEntry{"ArgMax", arg_max_kernel, kElementwise},
    OpEntry{"ArgMin", arg_min_kernel, kElementwise},
    OpEntry{"Asin", unary_kernel, kTrigonometric, true},
    OpEntry{"Asinh", unary_kernel, kTrigonometric, true},
    OpEntry{"Atan", unary_kernel, kTrigonometric, true},
    OpEntry{"Atanh", unary_kernel, kTrigonometric, true},
    OpEntry{"AveragePool", average_pool_kernel, kElementwise, true},
    OpEntry{"BatchNormalization", batch_norm_kernel, kElementwise},
    OpEntry{"BitShift", bit_shift_kernel, kElementwise},
    OpEntry{"Cast", cast_kernel, kMovement},
    OpEntry{"CastLike", cast_like_kernel, kMovement},
    OpEntry{"Ceil", unary_kernel, kActivation, true},
    OpEntry{"Celu", unary_kernel, kActivation, true},
    OpEntry{"Clip", clip_kernel, with_parameters(OpKind::Activation), true, false, ChannelBlocks::FirstInput},
    OpEntry{"Compress", compress_kernel, kMovement},
    OpEntry{"Concat", concat_kernel, kMovement, true},
    OpEntry{"Constant", constant_kernel, kShapeOnly},
    OpEntry{"ConstantOfShape", constant_of_shape_kernel, kShapeOnly},
    OpEntry{"Conv", conv_kernel, {OpKind::Compute, 1, 2, ChannelAxis::Axis0}, true, true, ChannelBlocks::FirstInput},
    OpEntry{"ConvTranspose", conv_transpose_kernel, {OpKind::Compute, 1, 2, ChannelAxis::Axis1}},
    OpEntry{"Cos", unary_kernel, kTrigonometric, true},
    OpEntry{"Cosh", unary_kernel, kTrigonometric, true},
    OpEntry{"CumSum", cumsum_kernel, kElementwise},
    OpEntry{"DepthToSpace", depth_to_space_kernel, kRearrange},
    OpEntry{"DequantizeLinear", dequantize_linear_kernel, kQuantization},
    OpEntry{"Div", div_kernel, pointwise(fragile(OpKind::Elementwise, "division")), true},
    OpEntry{"Dropout", dropout_kernel, kMovement},
    OpEntry{"Einsum", einsum_kernel, kElementwise},
    OpEntry{"Elu", unary_kernel, kActivation, true},
    OpEntry{"Equal", equal_kernel, kElementwise},
    OpEntry{"Erf", unary_kernel, fragile(OpKind::Activation, "error function (GELU)"), true},
    OpEntry{"Exp", unary_kernel, fragile(OpKind::Activation, "exponential"), true},
    OpEntry{"Expand", expand_kernel, kMovement},
    OpEntry{"EyeLike", eye_like_kernel, kShapeOnly},
    OpEntry{"Flatten", flatten_kernel, kRearrange},
    OpEntry{"Floor", unary_kernel, kActivation, true},
    OpEntry{"GRU", gru_kernel, fragile(OpKind::Elementwise, "recurrent (float weights and state)")},
    OpEntry{"Gather", gather_kernel, kMovement},
    OpEntry{"GatherElements", gather_elements_kernel, kMovement},
    OpEntry{"GatherND", gather_nd_kernel, kMovement},
    OpEntry{"Gemm", gemm_kernel, {OpKind::Compute, 1, 2, ChannelAxis::GemmB}},
    OpEntry{"GlobalAveragePool", global_average_pool_kernel, fragile(OpKind::Elementwise, "averaging"), true, false, ChannelBlocks::FirstInputEnds},
    OpEntry{"GlobalMaxPool", global_max_pool_kernel, kMovement, true, false, ChannelBlocks::FirstInputEnds},
    OpEntry{"Greater", greater_kernel, kElementwise},
    OpEntry{"GreaterOrEqual", greater_or_equal_kernel, kElementwise},
    OpEntry{"GridSample", grid_sample_kernel, with_parameters(OpKind::Elementwise)},
    OpEntry{"HardSigmoid", unary_kernel, bounded(OpKind::Activation, 0, 1), true},
    OpEntry{"HardSwish", unary_kernel, kActivation, true},
    OpEntry{"Hardmax", hardmax_kernel, kElementwise},
    OpEntry{"Identity", identity_kernel, kRearrange},
    OpEntry{"If", control_flow_kernel, kElementwise},
    OpEntry{"InstanceNormalization", instance_norm_kernel, fragile(OpKind::Elementwise, "normalization (variance, reciprocal square root)")},
    OpEntry{"IsInf", is_inf_kernel, kElementwise},
    OpEntry{"IsNaN", is_nan_kernel, kElementwise},
    OpEntry{"LRN", lrn_kernel, fragile(OpKind::Elementwise, "normalization (power of a sum)")},
    OpEntry{"LSTM", lstm_kernel, fragile(OpKind::Elementwise, "recurrent (float weights and state)")},
    OpEntry{"LayerNormalization", layer_norm_kernel, fragile(OpKind::Elementwise, "normalization (variance, reciprocal square root)")},
    OpEntry{"LeakyRelu", unary_kernel, kActivation, true},
    OpEntry{"Less", less_kernel, kElementwise},
    OpEntry{"LessOrEqual", less_or_equal_kernel, kElementwise},
    OpEntry{"Log", unary_kernel, fragile(OpKind::Activation, "logarithm"), true},
    OpEntry{"LogSoftmax", log_softmax_kernel, fragile(OpKind::Elementwise, "logarithm of a softmax")},
    OpEntry{"Loop", control_flow_kernel, kElementwise},
    OpEntry{"MatMul", matmul_kernel, {OpKind::Compute, 1, -1, ChannelAxis::LastAxis}},
    OpEntry{"Max", max_kernel, kPointwise},
    OpEntry{"MaxPool", max_pool_kernel, kMovement, true},
    OpEntry{"Mean", mean_kernel, kElementwise},
    OpEntry{"MeanVarianceNormalization", mean_variance_norm_kernel, fragile(OpKind::Elementwise, "normalization (variance, reciprocal square root)")},
    OpEntry{"Min", min_kernel, kPointwise},
    OpEntry{"Mish", unary_kernel, kActivation, true},
    OpEntry{"Mod", mod_kernel, kElementwise},
    OpEntry{"Mul", mul_kernel, kPointwise, true},
    OpEntry{"Neg", unary_kernel, kActivation, true},
    OpEntry{"NegativeLogLikelihoodLoss", nll_loss_kernel, kElementwise},
    OpEntry{"NonMaxSuppression", non_max_suppression_kernel, kElementwise},
    OpEntry{"NonZero", nonzero_kernel, kElementwise},
    OpEntry{"Not", not_kernel, kElementwise},
    OpEntry{"OneHot", one_hot_kernel, kElementwise},
    OpEntry{"Or", or_kernel, kElementwise},
    OpEntry{"PRelu", prelu_kernel, kElementwise},
    OpEntry{"Pad", pad_kernel, with_parameters(OpKind::DataMovement)},
    OpEntry{"Pow", pow_kernel, pointwise(fragile(OpKind::Elementwise, "power"))},
    OpEntry{"QuantizeLinear", quantize_linear_kernel, kQuantization},
    OpEntry{"RNN", rnn_kernel, fragile(OpKind::Elementwise, "recurrent (float weights and state)")},
    OpEntry{"Range", range_kernel, kShapeOnly},
    OpEntry{"Reciprocal", unary_kernel, fragile(OpKind::Activation, "reciprocal"), true},
    OpEntry{"ReduceL1", reduce_kernel, fragile(OpKind::Elementwise, "sum")},
    OpEntry{"ReduceL2", reduce_kernel, fragile(OpKind::Elementwise, "square root of a sum of squares")},
    OpEntry{"ReduceLogSum", reduce_kernel, fragile(OpKind::Elementwise, "logarithm of a sum")},
    OpEntry{"ReduceLogSumExp", reduce_kernel, fragile(OpKind::Elementwise, "logarithm of a sum of exponentials")},
    OpEntry{"ReduceMax", reduce_kernel, kElementwise},
    OpEntry{"ReduceMean", reduce_kernel, fragile(OpKind::Elementwise, "averaging")},
    OpEntry{"ReduceMin", reduce_kernel, kElementwise},
    OpEntry{"ReduceProd", reduce_kernel, fragile(OpKind::Elementwise, "product")},
    OpEntry{"ReduceSum", reduce_kernel, fragile(OpKind::Elementwise, "sum")},
    OpEntry{"ReduceSumSquare", reduce_kernel, fragile(OpKind::Elementwise, "sum of squares")},
    OpEntry{"Relu", unary_kernel, kActivation, true, false, ChannelBlocks::FirstInput},
    OpEntry{"Reshape", reshape_kernel, kRearrange},
    OpEntry{"Resize", resize_kernel, with_parameters(OpKind::DataMovement), true},
    OpEntry{"RoiAlign", roi_align_kernel, with_parameters(OpKind::Elementwise)},
    OpEntry{"Round", unary_kernel, kActivation, true},
    OpEntry{"Scan", control_flow_kernel, kElementwise},
    OpEntry{"Scatter", scatter_elements_kernel, kElementwise},
    OpEntry{"ScatterElements", scatter_elements_kernel, kElementwise},
    OpEntry{"ScatterND", scatter_nd_kernel, kElementwise},
    OpEntry{"Selu", unary_kernel, kActivation, true},
    OpEntry{"Shape", shape_kernel, kShapeOnly, true, false, ChannelBlocks::AllInputs},  // reads the logical shape: any layout
    OpEntry{"Shrink", unary_kernel, kActivation, true},
    OpEntry{"Sigmoid", unary_kernel, bounded(OpKind::Activation, 0, 1), true},
    OpEntry{"Sign", unary_kernel, kActivation, true},
    OpEntry{"Sin", unary_kernel, kTrigonometric, true},
    OpEntry{"Sinh", unary_kernel, kTrigonometric, true},
    OpEntry{"Size", size_kernel, kShapeOnly, true, false, ChannelBlocks::AllInputs},  // reads the element count: any layout
    OpEntry{"Slice", slice_kernel, kMovement},
    OpEntry{"Softmax", softmax_kernel, bounded(OpKind::Elementwise, 0, 1)},
    OpEntry{"SoftmaxCrossEntropyLoss", softmax_cross_entropy_kernel, kElementwise},
    OpEntry{"Softplus", unary_kernel, fragile(OpKind::Activation, "exponential"), true},
    OpEntry{"Softsign", unary_kernel, kActivation, true},
    OpEntry{"SpaceToDepth", space_to_depth_kernel, kRearrange},
    OpEntry{"Split", split_kernel, kMovement},
    OpEntry{"Sqrt", unary_kernel, fragile(OpKind::Activation, "square root"), true},
    OpEntry{"Squeeze", squeeze_kernel, kRearrange},
    OpEntry{"Sub", sub_kernel, kPointwise, true},
    OpEntry{"Sum", sum_kernel, kElementwise},
    OpEntry{"Tan", unary_kernel, kTrigonometric, true},
    OpEntry{"Tanh", unary_kernel, bounded(OpKind::Activation, -1, 1), true},
    OpEntry{"ThresholdedRelu", unary_kernel, kActivation, true},
    OpEntry{"Tile", tile_kernel, kMovement},
    OpEntry{"TopK", topk_kernel, kMovement},
    OpEntry{"Transpose", transpose_kernel, kRearrange},
    OpEntry{"Trilu", trilu_kernel, kElementwise},
    OpEntry{"Unsqueeze", unsqueeze_kernel, kRearrange},
    OpEntry{"Upsample", upsample_kernel, with_parameters(OpKind::DataMovement), true},
    OpEntry{"Where", where_kernel, kElementwise},
    OpEntry{"Xor", xor_kernel, kElementwise},
};
static_assert(kOps.size() == 140, "update the op count in docs/ops.md with the table");

// The emulator's integer ops (libquant/emulate writes them; docs/emulate.md).
constexpr OpFacts kIntegerCompute{OpKind::Compute, 1, 2, ChannelAxis::None};
constexpr std::array kIntegerOps = {
    OpEntry{"IntegerConv", integer_conv_kernel, kIntegerCompute},
    OpEntry{"IntegerGemm", integer_gemm_kernel, kIntegerCompute},
    OpEntry{"IntegerGlobalAveragePool", integer_global_average_pool_kernel, kElementwise},
    OpEntry{"IntegerMatMul", integer_matmul_kernel, kIntegerCompute},
    OpEntry{"Requantize", requantize_kernel, kQuantization},
    OpEntry{"TableLookup", table_lookup_kernel, kActivation},
};

}  // namespace

std::span<const OpEntry> all_ops() { return kOps; }
std::span<const OpEntry> integer_ops() { return kIntegerOps; }

// Ops of other domains that are the standard ones with wider types: ONNX Runtime's com.microsoft
// QuantizeLinear/DequantizeLinear take uint16/int16 at any opset (quant emits them for 16 bits).
constexpr std::pair<std::string_view, std::string_view> kDomainAliases[] = {
    {"com.microsoft", "QuantizeLinear"},
    {"com.microsoft", "DequantizeLinear"},
};

const OpEntry* find_op(std::string_view domain, std::string_view op_type) {
  if (domain == kIntegerDomain) {
    for (const OpEntry& e : kIntegerOps)
      if (e.op_type == op_type) return &e;
    return nullptr;
  }
  if (!domain.empty() && domain != "ai.onnx") {
    bool aliased = false;
    for (const auto& [d, op] : kDomainAliases) aliased |= d == domain && op == op_type;
    if (!aliased) return nullptr;
  }
  for (const OpEntry& e : kOps)
    if (e.op_type == op_type) return &e;
  return nullptr;
}

const std::string* weight_input_name(const OpEntry* entry, const ir::Node& node) {
  if (!entry || entry->facts.weight_input < 0 || !node.has_input(static_cast<size_t>(entry->facts.weight_input))) return nullptr;
  return &node.inputs[static_cast<size_t>(entry->facts.weight_input)];
}

int weight_channel_axis(const OpEntry& entry, const ir::Node& node, int weight_rank) {
  switch (entry.facts.channel_axis) {
    case ChannelAxis::None: return -1;
    case ChannelAxis::Axis0: return 0;
    case ChannelAxis::Axis1: return 1;
    case ChannelAxis::GemmB: return node.attr_int("transB", 0) != 0 ? 0 : 1;
    case ChannelAxis::LastAxis: return weight_rank - 1;
  }
  return -1;
}

}  // namespace quant::ops
