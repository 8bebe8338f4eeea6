#include "emulate/quantized_values.h"

#include <algorithm>

#include "qmath/qparams.h"

namespace quant::emulate {

int64_t largest_centered(const PerTensorParams& p) {
  const qmath::QRange r = qmath::qrange(p.dtype);
  return std::max(p.zero_point - r.qmin, r.qmax - p.zero_point);
}

GraphIndex::GraphIndex(const ir::Graph& graph) : graph_(graph) {
  for (const ir::Node& n : graph.nodes) {
    for (const std::string& o : n.outputs) producers_[o] = &n;
    for (const std::string& i : n.inputs)
      if (!i.empty()) readers_[i].push_back(&n);
    for (const std::string& c : ir::node_captures(n)) readers_[c].push_back(&n);
  }
}

const ir::Node* GraphIndex::producer(const std::string& value) const {
  auto it = producers_.find(value);
  return it == producers_.end() ? nullptr : it->second;
}

const ir::Node* GraphIndex::sole_reader(const std::string& value) const {
  if (graph_.is_output(value)) return nullptr;
  auto it = readers_.find(value);
  if (it == readers_.end() || it->second.size() != 1) return nullptr;
  return it->second.front();
}

std::optional<PerTensorParams> GraphIndex::per_tensor(const ir::Node& n) const {
  if (n.inputs.size() < 2) return std::nullopt;
  const Tensor* scale = graph_.constant(n.inputs[1]);
  const Tensor* zp = n.has_input(2) ? graph_.constant(n.inputs[2]) : nullptr;
  if (!scale || scale->numel() != 1 || scale->dtype() != DType::Float32) return std::nullopt;
  if (n.has_input(2) && (!zp || zp->numel() != 1)) return std::nullopt;
  PerTensorParams p;
  p.scale = scale->to_float_vector()[0];
  p.zero_point = zp ? zp->value_as_int64(0) : 0;
  p.dtype = zp ? zp->dtype() : DType::UInt8;
  if (!(p.scale > 0.0f)) return std::nullopt;
  return p;
}

const ir::Node* GraphIndex::activation_dequantize(const std::string& value) const {
  const ir::Node* dq = producer(value);
  if (!dq || !is_op(*dq, "DequantizeLinear") || is_constant(dq->inputs[0]) || !per_tensor(*dq)) return nullptr;
  return dq;
}

const ir::Node* GraphIndex::activation_quantize(const std::string& value) const {
  const ir::Node* q = sole_reader(value);
  return q && is_op(*q, "QuantizeLinear") && per_tensor(*q) ? q : nullptr;
}

std::optional<QuantizedConstant> GraphIndex::quantized_constant(const std::string& value) const {
  const ir::Node* dq = producer(value);
  if (!dq || !is_op(*dq, "DequantizeLinear") || dq->inputs.size() < 2) return std::nullopt;
  const Tensor* q = graph_.constant(dq->inputs[0]);
  const Tensor* scale = graph_.constant(dq->inputs[1]);
  const Tensor* zp = dq->has_input(2) ? graph_.constant(dq->inputs[2]) : nullptr;
  if (!q || !scale || scale->dtype() != DType::Float32 || (dq->has_input(2) && !zp)) return std::nullopt;
  QuantizedConstant c;
  c.name = dq->inputs[0];
  c.q = q;
  c.scale = scale->to_float_vector();
  c.zero_point = zp ? zp->to_int64_vector() : std::vector<int64_t>(c.scale.size(), 0);
  if (c.scale.size() > 1) c.axis = normalize_axis(dq->attr_int("axis", 1), q->rank());
  for (float s : c.scale)
    if (!(s > 0.0f)) return std::nullopt;
  return c;
}

}  // namespace quant::emulate
