// DequantizeLinear -> GlobalAveragePool -> QuantizeLinear becomes IntegerGlobalAveragePool
// (ops/integer_global_average_pool.cpp): an integer sum per channel and one multiplier
//   M = S_x / (count * S_y)
// which holds the division, so the spatial size must be known from the model's shapes.
#include <algorithm>

#include "emulate/rewrites.h"
#include "ops/op_table.h"
#include "qmath/qparams.h"

namespace quant::emulate {

std::optional<Rewrite> rewrite_global_average_pool(const GraphIndex& index, const ir::Node& node, std::string& why_not) {
  const ir::Node* dq = index.activation_dequantize(node.inputs[0]);
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
  // The shape as the model declares it: of the pool's input, the stored integers, or the float
  // tensor the QuantizeLinear before them read (quantizers keep the float tensor's value_info).
  std::vector<std::string> names = {node.inputs[0], dq->inputs[0]};
  if (const ir::Node* q_in = index.producer(dq->inputs[0]); q_in && is_op(*q_in, "QuantizeLinear")) names.push_back(q_in->inputs[0]);
  std::vector<int64_t> dims;
  for (const std::string& name : names)
    if (index.graph().known_dims(name, dims) && dims.size() >= 3) break;
  int64_t count = dims.size() >= 3 ? 1 : -1;
  for (size_t i = 2; i < dims.size() && count > 0; ++i) count = dims[i] > 0 ? count * dims[i] : -1;
  if (count <= 0) {
    why_not = "its spatial size is not known from the model (the multiplier holds the division)";
    return std::nullopt;
  }
  const PerTensorParams x = *index.per_tensor(*dq);
  const qmath::QRange yr = qmath::qrange(y->dtype);
  Rewrite r;
  r.node = integer_node(node.name, "IntegerGlobalAveragePool", {dq->inputs[0]}, q->outputs[0]);
  r.node.attributes["x_zero_point"] = int_attribute(x.zero_point);
  r.node.attributes["count"] = int_attribute(count);
  set_requantizer(r.node, {static_cast<double>(x.scale) / (static_cast<double>(count) * static_cast<double>(y->scale))}, *y,
                  yr.qmin, yr.qmax, static_cast<double>(largest_centered(x) * count));
  r.replaced = {&node, q};
  r.execution = {node.name, node.op_type, Execution::Integer,
                 std::string(r.node.attr_int("accumulator_bits") == 32 ? "int32" : "int64") + " sum of " +
                     std::to_string(count) + " values per channel"};
  return r;
}

}  // namespace quant::emulate
