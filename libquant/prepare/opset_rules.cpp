// One row per change of an op's form between opsets 8 and 17 (ONNX 1.12's schemas), for every op
// whose form changed there. A row without a rule says the new form means the same for every old
// node: only new types, or new attributes/inputs whose default is the old behaviour. A row with a
// rule rewrites the node; each rule is a few lines and its comment gives the old and new forms.
#include "prepare/opset_rules.h"

#include <algorithm>
#include <array>
#include <limits>

namespace quant::prepare {

namespace {

ErrorContext where(const ir::Node& n) { return {.node = n.name, .op_type = n.op_type}; }

ir::Attribute int_attr(int64_t v) { return {.kind = ir::AttrKind::Int, .i = v}; }
ir::Attribute string_attr(std::string v) { return {.kind = ir::AttrKind::String, .s = std::move(v)}; }

// Sets input `index` (padding skipped optional inputs with "").
void set_input(ir::Node& n, size_t index, const std::string& value) {
  if (n.inputs.size() <= index) n.inputs.resize(index + 1);
  n.inputs[index] = value;
}

// Moves an ints attribute to an int64 initializer at input `index`; nothing when it is absent.
void ints_attribute_to_input(ir::Node& n, RuleContext& ctx, const std::string& key, size_t index) {
  if (!n.has_attr(key)) return;
  const std::vector<int64_t> v = n.attr_ints(key);
  n.attributes.erase(key);
  set_input(n, index, ctx.edit.add_initializer(n.name + "_" + key, Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v)));
}

// A scalar initializer of the data's element type (float when unknown).
std::string scalar_input(ir::Node& n, RuleContext& ctx, const std::string& base, double value) {
  const DType t = ctx.edit.graph().known_dtype(n.inputs[0]);
  const Tensor f = Tensor::scalar<float>(static_cast<float>(value));
  return ctx.edit.add_initializer(n.name + "_" + base, t == DType::Undefined || t == DType::Float32 ? f : cast_tensor(f, t));
}

// Softmax, LogSoftmax, Hardmax before 13: the input is coerced to 2-D [prod(d<axis), prod(d>=axis)]
// and normalized over the second dim. From 13: over `axis` alone. Same when every dim after axis is
// 1 (or axis is the last); otherwise Flatten(axis) -> op(axis=-1) -> Reshape(Shape(input)).
void softmax_2d_coercion(ir::Node& n, RuleContext& ctx) {
  int64_t axis = n.attr_int("axis", 1);
  std::vector<int64_t> dims;
  if (ctx.edit.graph().known_dims(n.inputs[0], dims)) {
    const int64_t rank = static_cast<int64_t>(dims.size());
    if (axis < 0) axis += rank;
    if (std::all_of(dims.begin() + std::min(axis + 1, rank), dims.end(), [](int64_t d) { return d == 1; })) {
      n.attributes["axis"] = int_attr(axis);
      return;
    }
  }
  const std::string in = n.inputs[0], out = n.outputs[0];
  const std::string flat = ctx.edit.fresh_name(in + "_2d"), shape = ctx.edit.fresh_name(in + "_shape"), flat_out = ctx.edit.fresh_name(out + "_2d");
  ctx.edit.add_node({.name = n.name + "_flatten", .op_type = "Flatten", .opset = ctx.target, .inputs = {in}, .outputs = {flat}, .attributes = {{"axis", int_attr(axis)}}});
  ctx.edit.add_node({.name = n.name + "_shape", .op_type = "Shape", .opset = ctx.target, .inputs = {in}, .outputs = {shape}});
  ctx.edit.add_node({.name = n.name + "_reshape", .op_type = "Reshape", .opset = ctx.target, .inputs = {flat_out, shape}, .outputs = {out}});
  n.inputs[0] = flat;
  n.outputs[0] = flat_out;
  n.attributes["axis"] = int_attr(-1);
}

// Slice-1: starts, ends, axes attributes -> Slice-10: inputs 1, 2, 3.
void slice_attributes_to_inputs(ir::Node& n, RuleContext& ctx) {
  ints_attribute_to_input(n, ctx, "starts", 1);
  ints_attribute_to_input(n, ctx, "ends", 2);
  ints_attribute_to_input(n, ctx, "axes", 3);
}

// Pad-2: pads and value attributes -> Pad-11: inputs 1 (int64) and 2 (a scalar of the data's type).
void pad_attributes_to_inputs(ir::Node& n, RuleContext& ctx) {
  const double value = n.attr_float("value", 0.0f);
  n.attributes.erase("value");
  ints_attribute_to_input(n, ctx, "pads", 1);
  if (value != 0) set_input(n, 2, scalar_input(n, ctx, "value", value));
}

// Clip-6: min, max attributes (defaults -/+FLT_MAX, i.e. no bound) -> Clip-11: optional inputs 1, 2.
void clip_attributes_to_inputs(ir::Node& n, RuleContext& ctx) {
  constexpr float kNoBound = std::numeric_limits<float>::max();
  const float lo = n.attr_float("min", -kNoBound), hi = n.attr_float("max", kNoBound);
  n.attributes.erase("min");
  n.attributes.erase("max");
  if (lo > -kNoBound) set_input(n, 1, scalar_input(n, ctx, "min", lo));
  if (hi < kNoBound) set_input(n, 2, scalar_input(n, ctx, "max", hi));
}

// Squeeze/Unsqueeze/ReduceSum-11 (and Reduce*-13): axes attribute -> Squeeze-13 etc.: input 1.
void axes_attribute_to_input(ir::Node& n, RuleContext& ctx) { ints_attribute_to_input(n, ctx, "axes", 1); }

// Split-11: split attribute -> Split-13: input 1.
void split_attribute_to_input(ir::Node& n, RuleContext& ctx) { ints_attribute_to_input(n, ctx, "split", 1); }

// TopK-1: k attribute -> TopK-10: input 1, a 1-element int64 tensor.
void topk_k_to_input(ir::Node& n, RuleContext& ctx) {
  const int64_t k = n.attr_int("k");
  n.attributes.erase("k");
  set_input(n, 1, ctx.edit.add_initializer(n.name + "_k", Tensor::from_vector<int64_t>({1}, {k})));
}

// Upsample-7: scales attribute -> Upsample-9: input 1.
void upsample_scales_to_input(ir::Node& n, RuleContext& ctx) {
  const std::vector<float> scales = n.attr_floats("scales");
  n.attributes.erase("scales");
  set_input(n, 1, ctx.edit.add_initializer(n.name + "_scales", Tensor::from_vector<float>({static_cast<int64_t>(scales.size())}, scales)));
}

// Upsample-9 (deprecated at 10) -> Resize-10: the same inputs (X, scales) and mode, the same meaning.
void upsample_to_resize(ir::Node& n, RuleContext&) { n.op_type = "Resize"; }

// Resize-10 maps output to input coordinates as x_in = x_out / scale ("asymmetric") and, for
// nearest, rounds down when upsampling and up when downsampling (as ONNX Runtime runs it) ->
// Resize-11 with roi (unused, empty), coordinate_transformation_mode = asymmetric, nearest_mode =
// floor (every scale >= 1) or ceil (every scale <= 1). Nearest with scales on both sides of 1, or
// with scales computed at run time, has no single nearest_mode: refused.
void resize_coordinate_modes(ir::Node& n, RuleContext& ctx) {
  const std::string mode = n.attr_string("mode", "nearest");
  if (mode == "nearest") {
    const Tensor* scales = n.has_input(1) ? ctx.edit.graph().constant(n.inputs[1]) : nullptr;
    if (!scales) throw Error(ErrorKind::Unsupported, "Resize-10 nearest with scales computed at run time has no exact opset-11 form", where(n));
    bool up = false, down = false;
    for (int64_t i = 0; i < scales->numel(); ++i) up |= scales->value_as_double(i) > 1, down |= scales->value_as_double(i) < 1;
    if (up && down)
      throw Error(ErrorKind::Unsupported, "Resize-10 nearest that upsamples some axes and downsamples others has no exact opset-11 form", where(n));
    n.attributes["nearest_mode"] = string_attr(down ? "ceil" : "floor");
  }
  n.attributes["coordinate_transformation_mode"] = string_attr("asymmetric");
  const std::string scales = n.inputs.size() > 1 ? n.inputs[1] : "";
  const std::string roi = ctx.edit.add_initializer(n.name + "_roi", Tensor(DType::Float32, {0}));
  n.inputs = {n.inputs[0], roi, scales};
}

// BatchNormalization-7: spatial attribute (1: one mean per channel) -> BatchNormalization-9, which
// is always per channel. spatial = 0 (per element) has no later form: refused.
void batch_norm_drop_spatial(ir::Node& n, RuleContext&) {
  if (n.attr_int("spatial", 1) != 1)
    throw Error(ErrorKind::Unsupported, "BatchNormalization with spatial = 0 has no form from opset 9 on", where(n));
  n.attributes.erase("spatial");
}

// Dropout-10: ratio attribute -> Dropout-12: input 1 (it has no effect at inference either way).
void dropout_ratio_to_input(ir::Node& n, RuleContext& ctx) {
  const float ratio = n.attr_float("ratio", 0.5f);
  n.attributes.erase("ratio");
  set_input(n, 1, ctx.edit.add_initializer(n.name + "_ratio", Tensor::scalar<float>(ratio)));
}

// RoiAlign-10 maps regions as output_half_pixel does (no half-pixel offset, regions at least one
// pixel) -> RoiAlign-16, whose default is half_pixel: the mode written out.
void roi_align_output_half_pixel(ir::Node& n, RuleContext&) { n.attributes["coordinate_transformation_mode"] = string_attr("output_half_pixel"); }

// Scatter-9 (deprecated at 11) -> ScatterElements-11: the same inputs, attribute and meaning.
void scatter_to_scatter_elements(ir::Node& n, RuleContext&) { n.op_type = "ScatterElements"; }

constexpr std::string_view kTypes = "more element types";
constexpr std::string_view kNegativeAxes = "negative axes allowed";

// Sorted by op, then opset.
constexpr std::array kFormChanges = {
    FormChange{"Abs", 13, nullptr, kTypes},
    FormChange{"Add", 13, nullptr, kTypes},
    FormChange{"Add", 14, nullptr, kTypes},
    FormChange{"ArgMax", 11, nullptr, kNegativeAxes},
    FormChange{"ArgMax", 12, nullptr, "select_last_index added (default: first, as before)"},
    FormChange{"ArgMax", 13, nullptr, kTypes},
    FormChange{"ArgMin", 11, nullptr, kNegativeAxes},
    FormChange{"ArgMin", 12, nullptr, "select_last_index added (default: first, as before)"},
    FormChange{"ArgMin", 13, nullptr, kTypes},
    FormChange{"AveragePool", 10, nullptr, "ceil_mode added (default 0, as before)"},
    FormChange{"AveragePool", 11, nullptr, "pads may be computed by auto_pad as before"},
    FormChange{"BatchNormalization", 9, batch_norm_drop_spatial, "spatial attribute removed (always per channel)"},
    FormChange{"BatchNormalization", 14, nullptr, "training_mode added (default 0: inference, as before)"},
    FormChange{"BatchNormalization", 15, nullptr, kTypes},
    FormChange{"Cast", 9, nullptr, kTypes},
    FormChange{"Cast", 13, nullptr, kTypes},
    FormChange{"Ceil", 13, nullptr, kTypes},
    FormChange{"Clip", 11, clip_attributes_to_inputs, "min/max attributes become inputs"},
    FormChange{"Clip", 12, nullptr, kTypes},
    FormChange{"Clip", 13, nullptr, kTypes},
    FormChange{"Compress", 11, nullptr, kNegativeAxes},
    FormChange{"Concat", 11, nullptr, kNegativeAxes},
    FormChange{"Concat", 13, nullptr, kTypes},
    FormChange{"Constant", 9, nullptr, kTypes},
    FormChange{"Constant", 11, nullptr, "sparse_value added"},
    FormChange{"Constant", 12, nullptr, "value_float(s)/value_int(s)/value_string(s) added"},
    FormChange{"Constant", 13, nullptr, kTypes},
    FormChange{"Conv", 11, nullptr, "auto_pad/pads clarified, same meaning"},
    FormChange{"ConvTranspose", 11, nullptr, "auto_pad/pads clarified, same meaning"},
    FormChange{"CumSum", 14, nullptr, kTypes},
    FormChange{"DepthToSpace", 11, nullptr, "mode added (default DCR, as before)"},
    FormChange{"DepthToSpace", 13, nullptr, kTypes},
    FormChange{"DequantizeLinear", 13, nullptr, "axis added (per-tensor as before)"},
    FormChange{"Div", 13, nullptr, kTypes},
    FormChange{"Div", 14, nullptr, kTypes},
    FormChange{"Dropout", 10, nullptr, kTypes},
    FormChange{"Dropout", 12, dropout_ratio_to_input, "ratio attribute becomes an input"},
    FormChange{"Dropout", 13, nullptr, kTypes},
    FormChange{"Equal", 11, nullptr, kTypes},
    FormChange{"Equal", 13, nullptr, kTypes},
    FormChange{"Erf", 13, nullptr, kTypes},
    FormChange{"Exp", 13, nullptr, kTypes},
    FormChange{"Expand", 13, nullptr, kTypes},
    FormChange{"Flatten", 9, nullptr, kTypes},
    FormChange{"Flatten", 11, nullptr, kNegativeAxes},
    FormChange{"Flatten", 13, nullptr, kTypes},
    FormChange{"Floor", 13, nullptr, kTypes},
    FormChange{"GRU", 14, nullptr, "layout added (default 0, as before)"},
    FormChange{"Gather", 11, nullptr, "negative indices allowed"},
    FormChange{"Gather", 13, nullptr, kTypes},
    FormChange{"GatherElements", 13, nullptr, kTypes},
    FormChange{"GatherND", 12, nullptr, "batch_dims added (default 0, as before)"},
    FormChange{"GatherND", 13, nullptr, kTypes},
    FormChange{"Gemm", 9, nullptr, kTypes},
    FormChange{"Gemm", 11, nullptr, "C becomes optional"},
    FormChange{"Gemm", 13, nullptr, kTypes},
    FormChange{"Greater", 9, nullptr, kTypes},
    FormChange{"Greater", 13, nullptr, kTypes},
    FormChange{"GreaterOrEqual", 16, nullptr, kTypes},
    FormChange{"Hardmax", 11, nullptr, kNegativeAxes},
    FormChange{"Hardmax", 13, softmax_2d_coercion, "normalizes over axis alone, not a 2-D coercion"},
    FormChange{"Identity", 13, nullptr, kTypes},
    FormChange{"Identity", 14, nullptr, "sequence types"},
    FormChange{"Identity", 16, nullptr, "optional types"},
    FormChange{"If", 11, nullptr, "branches may produce different shapes"},
    FormChange{"If", 13, nullptr, "sequence types"},
    FormChange{"If", 16, nullptr, "optional types"},
    FormChange{"IsNaN", 13, nullptr, kTypes},
    FormChange{"LRN", 13, nullptr, kTypes},
    FormChange{"LSTM", 14, nullptr, "layout added (default 0, as before)"},
    FormChange{"LeakyRelu", 16, nullptr, kTypes},
    FormChange{"Less", 9, nullptr, kTypes},
    FormChange{"Less", 13, nullptr, kTypes},
    FormChange{"LessOrEqual", 16, nullptr, kTypes},
    FormChange{"Log", 13, nullptr, kTypes},
    FormChange{"LogSoftmax", 11, nullptr, kNegativeAxes},
    FormChange{"LogSoftmax", 13, softmax_2d_coercion, "normalizes over axis alone, not a 2-D coercion"},
    FormChange{"Loop", 11, nullptr, "scan outputs may change shape"},
    FormChange{"Loop", 13, nullptr, "sequence types"},
    FormChange{"Loop", 16, nullptr, "optional types"},
    FormChange{"LpPool", 11, nullptr, "pads clarified, same meaning"},
    FormChange{"MatMul", 9, nullptr, kTypes},
    FormChange{"MatMul", 13, nullptr, kTypes},
    FormChange{"Max", 8, nullptr, "multidirectional broadcasting (same shapes as before still work)"},
    FormChange{"Max", 12, nullptr, kTypes},
    FormChange{"Max", 13, nullptr, kTypes},
    FormChange{"MaxPool", 8, nullptr, "storage_order and Indices output added"},
    FormChange{"MaxPool", 10, nullptr, "ceil_mode and dilations added (defaults as before)"},
    FormChange{"MaxPool", 11, nullptr, "pads clarified, same meaning"},
    FormChange{"MaxPool", 12, nullptr, kTypes},
    FormChange{"MaxUnpool", 11, nullptr, "pads clarified, same meaning"},
    FormChange{"Mean", 8, nullptr, "multidirectional broadcasting (same shapes as before still work)"},
    FormChange{"Mean", 13, nullptr, kTypes},
    FormChange{"MeanVarianceNormalization", 13, nullptr, kTypes},
    FormChange{"Min", 8, nullptr, "multidirectional broadcasting (same shapes as before still work)"},
    FormChange{"Min", 12, nullptr, kTypes},
    FormChange{"Min", 13, nullptr, kTypes},
    FormChange{"Mod", 13, nullptr, kTypes},
    FormChange{"Mul", 13, nullptr, kTypes},
    FormChange{"Mul", 14, nullptr, kTypes},
    FormChange{"Neg", 13, nullptr, kTypes},
    FormChange{"NonMaxSuppression", 11, nullptr, "same meaning, clarified"},
    FormChange{"NonZero", 13, nullptr, kTypes},
    FormChange{"OneHot", 11, nullptr, kNegativeAxes},
    FormChange{"PRelu", 9, nullptr, kTypes},
    FormChange{"PRelu", 16, nullptr, kTypes},
    FormChange{"Pad", 11, pad_attributes_to_inputs, "pads/value attributes become inputs"},
    FormChange{"Pad", 13, nullptr, kTypes},
    FormChange{"Pow", 12, nullptr, "exponent may have another type"},
    FormChange{"Pow", 13, nullptr, kTypes},
    FormChange{"Pow", 15, nullptr, kTypes},
    FormChange{"QuantizeLinear", 13, nullptr, "axis added (per-tensor as before)"},
    FormChange{"RNN", 14, nullptr, "layout added (default 0, as before)"},
    FormChange{"Reciprocal", 13, nullptr, kTypes},
    FormChange{"ReduceL1", 11, nullptr, kNegativeAxes},
    FormChange{"ReduceL1", 13, nullptr, kTypes},
    FormChange{"ReduceL2", 11, nullptr, kNegativeAxes},
    FormChange{"ReduceL2", 13, nullptr, kTypes},
    FormChange{"ReduceLogSum", 11, nullptr, kNegativeAxes},
    FormChange{"ReduceLogSum", 13, nullptr, kTypes},
    FormChange{"ReduceLogSumExp", 11, nullptr, kNegativeAxes},
    FormChange{"ReduceLogSumExp", 13, nullptr, kTypes},
    FormChange{"ReduceMax", 11, nullptr, kNegativeAxes},
    FormChange{"ReduceMax", 12, nullptr, kTypes},
    FormChange{"ReduceMax", 13, nullptr, kTypes},
    FormChange{"ReduceMean", 11, nullptr, kNegativeAxes},
    FormChange{"ReduceMean", 13, nullptr, kTypes},
    FormChange{"ReduceMin", 11, nullptr, kNegativeAxes},
    FormChange{"ReduceMin", 12, nullptr, kTypes},
    FormChange{"ReduceMin", 13, nullptr, kTypes},
    FormChange{"ReduceProd", 11, nullptr, kNegativeAxes},
    FormChange{"ReduceProd", 13, nullptr, kTypes},
    FormChange{"ReduceSum", 11, nullptr, kNegativeAxes},
    FormChange{"ReduceSum", 13, axes_attribute_to_input, "axes attribute becomes an input"},
    FormChange{"ReduceSumSquare", 11, nullptr, kNegativeAxes},
    FormChange{"ReduceSumSquare", 13, nullptr, kTypes},
    FormChange{"Relu", 13, nullptr, kTypes},
    FormChange{"Relu", 14, nullptr, kTypes},
    FormChange{"Reshape", 13, nullptr, kTypes},
    FormChange{"Reshape", 14, nullptr, "allowzero added (default 0, as before)"},
    FormChange{"Resize", 11, resize_coordinate_modes, "coordinate_transformation_mode and nearest_mode; roi input"},
    FormChange{"Resize", 13, nullptr, "roi and scales may be omitted; more modes"},
    FormChange{"RoiAlign", 16, roi_align_output_half_pixel, "coordinate_transformation_mode added (default half_pixel; RoiAlign-10 is output_half_pixel)"},
    FormChange{"Scan", 11, nullptr, kNegativeAxes},
    FormChange{"Scan", 16, nullptr, kTypes},
    FormChange{"Scatter", 11, scatter_to_scatter_elements, "deprecated: becomes ScatterElements"},
    FormChange{"ScatterElements", 13, nullptr, kTypes},
    FormChange{"ScatterND", 13, nullptr, kTypes},
    FormChange{"Shape", 13, nullptr, kTypes},
    FormChange{"Shape", 15, nullptr, "start/end added (defaults: all dims, as before)"},
    FormChange{"Sigmoid", 13, nullptr, kTypes},
    FormChange{"Sign", 13, nullptr, kTypes},
    FormChange{"Size", 13, nullptr, kTypes},
    FormChange{"Slice", 10, slice_attributes_to_inputs, "starts/ends/axes attributes become inputs"},
    FormChange{"Slice", 11, nullptr, "negative axes allowed"},
    FormChange{"Slice", 13, nullptr, kTypes},
    FormChange{"Softmax", 11, nullptr, kNegativeAxes},
    FormChange{"Softmax", 13, softmax_2d_coercion, "normalizes over axis alone, not a 2-D coercion"},
    FormChange{"SpaceToDepth", 13, nullptr, kTypes},
    FormChange{"Split", 11, nullptr, kNegativeAxes},
    FormChange{"Split", 13, split_attribute_to_input, "split attribute becomes an input"},
    FormChange{"Sqrt", 13, nullptr, kTypes},
    FormChange{"Squeeze", 11, nullptr, kNegativeAxes},
    FormChange{"Squeeze", 13, axes_attribute_to_input, "axes attribute becomes an input"},
    FormChange{"Sub", 13, nullptr, kTypes},
    FormChange{"Sub", 14, nullptr, kTypes},
    FormChange{"Sum", 8, nullptr, "multidirectional broadcasting (same shapes as before still work)"},
    FormChange{"Sum", 13, nullptr, kTypes},
    FormChange{"Tanh", 13, nullptr, kTypes},
    FormChange{"Tile", 13, nullptr, kTypes},
    FormChange{"TopK", 10, topk_k_to_input, "k attribute becomes an input"},
    FormChange{"TopK", 11, nullptr, "largest/sorted added (defaults as before)"},
    FormChange{"Transpose", 13, nullptr, kTypes},
    FormChange{"Unsqueeze", 11, nullptr, kNegativeAxes},
    FormChange{"Unsqueeze", 13, axes_attribute_to_input, "axes attribute becomes an input"},
    FormChange{"Upsample", 9, upsample_scales_to_input, "scales attribute becomes an input"},
    FormChange{"Upsample", 10, upsample_to_resize, "deprecated: becomes Resize"},
    FormChange{"Where", 16, nullptr, kTypes},
};

}  // namespace

const FormChange* find_form_change(std::string_view op, int at) {
  auto it = std::lower_bound(kFormChanges.begin(), kFormChanges.end(), std::pair{op, at},
                             [](const FormChange& c, const std::pair<std::string_view, int>& key) {
                               return c.op < key.first || (c.op == key.first && c.at < key.second);
                             });
  return it != kFormChanges.end() && it->op == op && it->at == at ? &*it : nullptr;
}

std::span<const FormChange> all_form_changes() { return kFormChanges; }

}  // namespace quant::prepare
