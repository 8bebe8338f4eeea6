// Functions of one quantized value, which an integer accelerator applies without floats:
// - a QuantizeLinear of a DequantizeLinear (a conversion between precisions or ranges) becomes
//   Requantize: Y_q = clamp(Z_y + M * (X_q - Z_x)), M = S_x / S_y (ops/requantize.cpp);
// - a pointwise op of one quantized activation (constant scalar operands allowed) followed by a
//   QuantizeLinear becomes TableLookup over every value the input type holds:
//     table[q - qmin] = QuantizeLinear(f(DequantizeLinear(q)))
//   computed with quant's own float kernel for f, so the table is the QDQ model's function exactly
//   (256 entries for 8 bits, 65536 for 16).
#include <algorithm>
#include <cmath>

#include "emulate/rewrites.h"
#include "ops/op_table.h"
#include "qmath/qparams.h"
#include "qmath/rounding.h"

namespace quant::emulate {

std::optional<Rewrite> rewrite_table(const GraphIndex& index, const ir::Node& node, std::string& why_not) {
  const ops::OpEntry* op = ops::find_op(node.domain, node.op_type);
  if (!op || !op->facts.pointwise || node.outputs.size() != 1) {
    why_not = "no integer form of " + node.op_type + " in the emulator";
    return std::nullopt;
  }
  int data = -1;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (node.inputs[i].empty()) continue;
    if (const Tensor* c = index.graph().constant(node.inputs[i])) {
      if (c->numel() != 1) {
        why_not = "a constant operand with more than one value (a table holds one function of one value)";
        return std::nullopt;
      }
    } else if (data >= 0) {
      why_not = "two computed inputs (a table holds one function of one value)";
      return std::nullopt;
    } else {
      data = static_cast<int>(i);
    }
  }
  const ir::Node* dq = data >= 0 ? index.activation_dequantize(node.inputs[static_cast<size_t>(data)]) : nullptr;
  if (!dq) {
    why_not = "its input is not a quantized activation";
    return std::nullopt;
  }
  const ir::Node* q = index.activation_quantize(node.outputs[0]);
  if (!q) {
    why_not = kOutputNotQuantized;
    return std::nullopt;
  }
  const std::optional<PerTensorParams> y = index.per_tensor(*q);
  const PerTensorParams x = *index.per_tensor(*dq);
  const qmath::QRange xr = qmath::qrange(x.dtype), yr = qmath::qrange(y->dtype);
  const int64_t entries = xr.qmax - xr.qmin + 1;
  if (entries > 65536) {
    why_not = std::string("a ") + dtype_name(x.dtype) + " input has too many values for a table";
    return std::nullopt;
  }
  Tensor reals(DType::Float32, {entries});
  for (int64_t i = 0; i < entries; ++i) reals.data<float>()[i] = qmath::dequantize_value(xr.qmin + i, x.scale, x.zero_point);
  ops::Inputs inputs;
  for (size_t i = 0; i < node.inputs.size(); ++i)
    inputs.push_back(static_cast<int>(i) == data ? &reals : (node.inputs[i].empty() ? nullptr : index.graph().constant(node.inputs[i])));
  ops::Outputs values;
  try {
    values = op->kernel(node, inputs, {});
  } catch (const Error& e) {
    why_not = std::string("its table could not be computed: ") + e.what();
    return std::nullopt;
  }
  if (values.size() != 1 || values[0].dtype() != DType::Float32 || values[0].numel() != entries) {
    why_not = "its output is not one float value per input value";
    return std::nullopt;
  }
  std::vector<int64_t> table(static_cast<size_t>(entries));
  const float* f = values[0].data<float>();
  for (int64_t i = 0; i < entries; ++i)
    table[static_cast<size_t>(i)] = qmath::quantize_value(f[i], y->scale, y->zero_point, yr.qmin, yr.qmax);

  Rewrite r;
  r.node = integer_node(node.name, "TableLookup", {dq->inputs[0]}, q->outputs[0]);
  r.node.attributes["table"] = ints_attribute(std::move(table));
  r.node.attributes["y_type"] = int_attribute(static_cast<int64_t>(y->dtype));
  r.replaced = {&node, q};
  r.execution = {node.name, node.op_type, Execution::Table,
                 std::to_string(entries) + "-entry table, " + dtype_name(x.dtype) + " -> " + dtype_name(y->dtype)};
  return r;
}

std::optional<Rewrite> rewrite_conversion(const GraphIndex& index, const ir::Node& quantize) {
  if (!is_op(quantize, "QuantizeLinear")) return std::nullopt;
  const ir::Node* dq = index.activation_dequantize(quantize.inputs[0]);
  const std::optional<PerTensorParams> y = index.per_tensor(quantize);
  if (!dq || !y) return std::nullopt;
  const PerTensorParams x = *index.per_tensor(*dq);
  const qmath::QRange yr = qmath::qrange(y->dtype);
  Rewrite r;
  r.node = integer_node(quantize.name, "Requantize", {dq->inputs[0]}, quantize.outputs[0]);
  r.node.attributes["x_zero_point"] = int_attribute(x.zero_point);
  set_requantizer(r.node, {static_cast<double>(x.scale) / static_cast<double>(y->scale)}, *y, yr.qmin, yr.qmax,
                  static_cast<double>(largest_centered(x)));
  r.replaced = {&quantize};
  r.execution = {quantize.name, "QuantizeLinear", Execution::Integer,
                 std::string("conversion ") + dtype_name(x.dtype) + " -> " + dtype_name(y->dtype)};
  return r;
}

}  // namespace quant::emulate
