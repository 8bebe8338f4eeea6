// (DequantizeLinear x, w, b) -> Conv/Gemm/MatMul -> [Relu | Clip] -> QuantizeLinear becomes one
// IntegerConv/IntegerGemm/IntegerMatMul (ops/integer_conv.cpp, ops/integer_matmul.cpp):
//   M_c = alpha * S_x * S_w[c] / S_y
//   the bias stays B_q when its scale is S_x * S_w[c] (as quant and ONNX Runtime quantize it),
//   else it is rescaled once: B_q' = round_half_even(B_q * beta * S_b[c] / (S_x * S_w[c]))
//   Relu: y_min = max(qmin, Z_y); Clip(lo, hi): [Q(lo), Q(hi)] (Q monotone, so clamping the integers
//   equals quantizing the clipped reals)
#include <algorithm>
#include <cmath>
#include <limits>

#include "emulate/rewrites.h"
#include "ops/layout.h"
#include "ops/op_table.h"
#include "qmath/qparams.h"
#include "qmath/rounding.h"

namespace quant::emulate {
namespace {

struct LinearOp {
  std::string_view op_type, integer_op;
};
constexpr LinearOp kLinearOps[] = {
    {"Conv", "IntegerConv"},
    {"Gemm", "IntegerGemm"},
    {"MatMul", "IntegerMatMul"},
};

const LinearOp* find_linear(const ir::Node& node) {
  for (const LinearOp& op : kLinearOps)
    if (is_op(node, std::string(op.op_type).c_str())) return &op;
  return nullptr;
}

bool small_integer(DType d) { return d == DType::UInt8 || d == DType::Int8 || d == DType::UInt16 || d == DType::Int16; }

// The activation after the op that the integer node takes in as a clamp, and its clamp bounds.
struct FusedActivation {
  const ir::Node* node = nullptr;
  float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
};

std::optional<FusedActivation> fusable_activation(const GraphIndex& index, const ir::Node& act) {
  FusedActivation f{&act};
  if (is_op(act, "Relu")) {
    f.lo = 0.0f;
    return f;
  }
  if (!is_op(act, "Clip")) return std::nullopt;
  for (size_t i : {size_t{1}, size_t{2}}) {
    if (!act.has_input(i)) continue;
    const Tensor* bound = index.graph().constant(act.inputs[i]);
    if (!bound || bound->numel() != 1) return std::nullopt;
    (i == 1 ? f.lo : f.hi) = static_cast<float>(bound->value_as_double(0));
  }
  if (act.has_attr("min")) f.lo = act.attr_float("min");
  if (act.has_attr("max")) f.hi = act.attr_float("max");
  return f;
}

// Sum over each output channel's weights of |w - Z_w|.
std::vector<double> weight_abs_sums(const QuantizedConstant& w, int64_t channel_axis) {
  const ops::AxisView v = ops::axis_view(w.q->shape(), channel_axis);
  std::vector<double> sums(static_cast<size_t>(v.length), 0.0);
  for (int64_t i = 0; i < w.q->numel(); ++i) {
    const size_t c = static_cast<size_t>((i / v.inner) % v.length);
    sums[c] += std::fabs(static_cast<double>(w.q->value_as_int64(i) - w.zero_point[w.zero_point.size() > 1 ? c : 0]));
  }
  return sums;
}

}  // namespace

std::optional<Rewrite> rewrite_linear(const GraphIndex& index, const ir::Node& node, std::string& why_not) {
  const LinearOp* linear = find_linear(node);
  const ops::OpEntry* op = ops::find_op(node.domain, node.op_type);
  if (!linear || !op) {
    why_not = "no integer form of " + node.op_type + " in the emulator";
    return std::nullopt;
  }
  const ir::Node* dq_x = index.activation_dequantize(node.inputs[0]);
  if (!dq_x) {
    why_not = "its input is not a quantized activation";
    return std::nullopt;
  }
  const std::string* weight = ops::weight_input_name(op, node);
  const std::optional<QuantizedConstant> w = weight ? index.quantized_constant(*weight) : std::nullopt;
  if (!w || !small_integer(w->q->dtype())) {
    why_not = "its weight is not an 8- or 16-bit quantized constant";
    return std::nullopt;
  }
  if (node.op_type != "Conv" && w->q->rank() != 2) {
    why_not = "its weight is not 2-D";
    return std::nullopt;
  }
  const int64_t channel_axis = ops::weight_channel_axis(*op, node, static_cast<int>(w->q->rank()));
  if (w->axis >= 0 && w->axis != channel_axis) {
    why_not = "its weight is quantized along axis " + std::to_string(w->axis) + ", not its output channels";
    return std::nullopt;
  }
  const int64_t channels = w->q->dim(channel_axis);
  std::optional<QuantizedConstant> b;
  if (op->facts.bias_input >= 0 && node.has_input(static_cast<size_t>(op->facts.bias_input))) {
    b = index.quantized_constant(node.inputs[static_cast<size_t>(op->facts.bias_input)]);
    if (!b || b->q->dtype() != DType::Int32 || b->q->numel() != channels) {
      why_not = "its bias is not an int32 quantized constant with one value per output channel";
      return std::nullopt;
    }
  }
  // The output: straight into a QuantizeLinear, or through a Relu/Clip first.
  const ir::Node* reader = index.activation_quantize(node.outputs[0]);
  std::optional<FusedActivation> act;
  if (const ir::Node* next = index.sole_reader(node.outputs[0]); !reader && next && (act = fusable_activation(index, *next)))
    reader = index.activation_quantize(next->outputs[0]);
  if (!reader) {
    why_not = kOutputNotQuantized;
    return std::nullopt;
  }
  const std::optional<PerTensorParams> out = index.per_tensor(*reader);

  const PerTensorParams x = *index.per_tensor(*dq_x);
  const double alpha = node.attr_float("alpha", 1.0f), beta = node.attr_float("beta", 1.0f);
  const size_t nscales = w->scale.size();
  std::vector<double> multipliers(nscales);
  for (size_t c = 0; c < nscales; ++c)
    multipliers[c] = alpha * static_cast<double>(x.scale) * static_cast<double>(w->scale[c]) / static_cast<double>(out->scale);

  Rewrite r;
  r.execution = {node.name, node.op_type, Execution::Integer, ""};
  std::string bias_name;
  std::vector<double> bias_abs(static_cast<size_t>(channels), 0.0);
  if (b) {
    bias_name = b->name;
    std::vector<int32_t> rescaled(static_cast<size_t>(channels));
    bool changed = false;
    for (int64_t c = 0; c < channels; ++c) {
      const double acc_scale = static_cast<double>(x.scale) * w->scale[nscales > 1 ? static_cast<size_t>(c) : 0];
      const double ratio = beta * b->scale[b->scale.size() > 1 ? static_cast<size_t>(c) : 0] / acc_scale;
      const int64_t bq = b->q->value_as_int64(c) - b->zero_point[b->zero_point.size() > 1 ? static_cast<size_t>(c) : 0];
      // The float32 product S_x * S_w that the bias scale is may differ from the double one in its last bit.
      const double v = std::fabs(ratio - 1.0) <= 1e-6 ? static_cast<double>(bq) : qmath::round_half_even(static_cast<double>(bq) * ratio);
      changed |= v != static_cast<double>(bq) || b->zero_point[0] != 0;
      rescaled[static_cast<size_t>(c)] = static_cast<int32_t>(std::clamp<double>(v, INT32_MIN, INT32_MAX));
      bias_abs[static_cast<size_t>(c)] = std::fabs(v);
    }
    if (changed) {
      bias_name = b->name + "_emulated";
      r.initializers.emplace_back(bias_name, Tensor::from_vector<int32_t>({channels}, rescaled));
      r.execution.detail = "bias rescaled to S_x * S_w; ";
    }
  }

  const qmath::QRange t = qmath::qrange(out->dtype);
  int64_t lo = t.qmin, hi = t.qmax;
  if (act) {
    if (std::isfinite(act->lo)) lo = std::max(lo, qmath::quantize_value(act->lo, out->scale, out->zero_point, t.qmin, t.qmax));
    if (std::isfinite(act->hi)) hi = std::min(hi, qmath::quantize_value(act->hi, out->scale, out->zero_point, t.qmin, t.qmax));
  }
  // The largest |acc|: |bias| + max |x - Z_x| * sum |w - Z_w| over the channel.
  const double x_abs = static_cast<double>(largest_centered(x));
  const std::vector<double> w_abs = weight_abs_sums(*w, channel_axis);
  double acc_bound = 0.0;
  for (size_t c = 0; c < w_abs.size(); ++c) acc_bound = std::max(acc_bound, bias_abs[c] + x_abs * w_abs[c]);

  r.node = integer_node(node.name, std::string(linear->integer_op), {dq_x->inputs[0], w->name}, reader->outputs[0]);
  ir::Node& n = r.node;
  if (b) n.inputs.push_back(bias_name);
  n.attributes = node.attributes;
  n.attributes.erase("alpha");
  n.attributes.erase("beta");
  n.attributes["x_zero_point"] = int_attribute(x.zero_point);
  n.attributes["w_zero_point"] = ints_attribute(w->zero_point);
  set_requantizer(n, multipliers, *out, lo, hi, acc_bound);
  r.replaced = {&node};
  if (act) r.replaced.push_back(act->node);
  r.replaced.push_back(reader);
  r.execution.detail += (n.attr_int("accumulator_bits") == 32 ? "int32" : "int64") + std::string(" accumulator, ") +
                        (nscales > 1 ? "per-channel" : "per-tensor") + " multipliers" +
                        (act ? ", " + act->node->op_type + " as a clamp" : "");
  return r;
}

}  // namespace quant::emulate
