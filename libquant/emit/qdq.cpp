#include "emit/qdq.h"

#include <algorithm>
#include <unordered_set>

namespace quant::emit {
namespace {

// Scalar or 1-D scale and zero point initializers for a planned tensor.
void add_qparams(ir::Graph& g, const plan::TensorQuant& q) {
  const bool vec = q.per_channel();
  const Shape shape = vec ? Shape{static_cast<int64_t>(q.scale.size())} : Shape{};
  g.initializers[q.name + "_scale"] = Tensor::from_vector<float>(shape, q.scale);
  Tensor zp(q.dtype, shape);
  visit_numeric(q.dtype, "zero point", [&](auto tag) {
    using Q = decltype(tag);
    for (size_t i = 0; i < q.zero_point.size(); ++i) zp.data<Q>()[i] = static_cast<Q>(q.zero_point[i]);
  });
  g.initializers[q.name + "_zero_point"] = zp;
}

// 16-bit Q/DQ go in ONNX Runtime's com.microsoft domain, which takes uint16/int16 (and axis) at any
// opset; standard QuantizeLinear needs opset 21 for them. 8-bit ones stay standard.
constexpr const char* kMicrosoftDomain = "com.microsoft";
bool needs_microsoft_domain(DType d) { return d == DType::UInt16 || d == DType::Int16; }

ir::Node qdq_node(const std::string& op, const std::string& name, const std::string& in, const std::string& qname,
                  const std::string& out, int axis, DType dtype) {
  ir::Node n;
  n.name = name;
  n.op_type = op;
  if (needs_microsoft_domain(dtype)) {
    n.domain = kMicrosoftDomain;
    n.opset = 1;
  }
  n.inputs = {in, qname + "_scale", qname + "_zero_point"};
  n.outputs = {out};
  if (axis >= 0) n.attributes["axis"] = ir::int_attribute(axis);
  return n;
}

void rename_input(ir::Graph& g, const std::string& from, const std::string& to, const std::unordered_set<std::string>& skip_nodes) {
  for (ir::Node& n : g.nodes) {
    if (skip_nodes.count(n.name)) continue;
    for (std::string& in : n.inputs)
      if (in == from) in = to;
  }
}

int64_t required_opset(const plan::QuantPlan& plan) {
  for (const plan::TensorQuant& q : plan.tensors)
    if (q.per_channel()) return 13;
  return 10;
}

}  // namespace

ir::Model make_qdq_model(const ir::Model& float_model, const plan::QuantPlan& plan) {
  ir::Model model = float_model;
  ir::Graph& g = model.graph;
  const int64_t opset = model.opsets.at("");
  const int64_t needed = required_opset(plan);
  if (opset < needed)
    throw Error(ErrorKind::Unsupported, "the model's opset " + std::to_string(opset) + " is too old for the quantized model: " +
                                            (needed == 13 ? "per-channel weights need opset 13 (try --per-tensor-weights, or export at opset 13)"
                                                          : "QuantizeLinear/DequantizeLinear need opset 10"),
                {.file = float_model.source_path});

  std::vector<ir::Node> added;
  std::unordered_set<std::string> qdq_names;
  std::unordered_set<std::string> outputs;
  for (const ir::ValueInfo& o : g.outputs) outputs.insert(o.name);

  for (const plan::TensorQuant& q : plan.tensors) {
    add_qparams(g, q);
    if (q.role == plan::Role::Weight || q.role == plan::Role::Bias) {
      const std::string qname = q.name + "_quantized", dq = q.name + "_dequantized";
      g.initializers[qname] = plan::quantize_initializer(g.initializers.at(q.name), q);
      g.initializers.erase(q.name);
      ir::Node n = qdq_node("DequantizeLinear", q.name + "_DequantizeLinear", qname, q.name, dq, q.axis, q.dtype);
      qdq_names.insert(n.name);
      rename_input(g, q.name, dq, qdq_names);
      added.push_back(std::move(n));
      continue;
    }
    if (q.role == plan::Role::Conversion) continue;  // after every activation has its pair
    // An activation.
    std::string source = q.name;
    std::string result = q.name + "_dequantized";
    if (outputs.count(q.name)) {
      // Keep the graph output's name on the DequantizeLinear result.
      source = q.name + "_prequant";
      result = q.name;
      for (ir::Node& n : g.nodes)
        for (std::string& out : n.outputs)
          if (out == q.name) out = source;
    }
    ir::Node qn = qdq_node("QuantizeLinear", q.name + "_QuantizeLinear", source, q.name, q.name + "_quantized", -1, q.dtype);
    ir::Node dn = qdq_node("DequantizeLinear", q.name + "_DequantizeLinear", q.name + "_quantized", q.name, result, -1, q.dtype);
    qdq_names.insert(qn.name);
    qdq_names.insert(dn.name);
    // Readers of a graph output keep reading its name, which the DequantizeLinear now produces.
    if (!outputs.count(q.name)) rename_input(g, q.name, result, qdq_names);
    added.push_back(std::move(qn));
    added.push_back(std::move(dn));
  }
  // Conversions: a second Q/DQ pair of another precision behind a tensor's own pair, read by the
  // readers that want that precision.
  for (const plan::TensorQuant& q : plan.tensors) {
    if (q.role != plan::Role::Conversion) continue;
    const std::string from = outputs.count(q.source_tensor) ? q.source_tensor : q.source_tensor + "_dequantized";
    const std::string result = q.name + "_dequantized";
    ir::Node qn = qdq_node("QuantizeLinear", q.name + "_QuantizeLinear", from, q.name, q.name + "_quantized", -1, q.dtype);
    ir::Node dn = qdq_node("DequantizeLinear", q.name + "_DequantizeLinear", q.name + "_quantized", q.name, result, -1, q.dtype);
    for (ir::Node& n : g.nodes)
      if (std::find(q.consumers.begin(), q.consumers.end(), n.name) != q.consumers.end())
        for (std::string& in : n.inputs)
          if (in == from) in = result;
    added.push_back(std::move(qn));
    added.push_back(std::move(dn));
  }
  if (plan.has_16_bit()) model.opsets[kMicrosoftDomain] = 1;
  for (ir::Node& n : added) g.nodes.push_back(std::move(n));
  // Value infos of renamed tensors would now lie; drop the ones that name no value any more.
  std::unordered_set<std::string> produced;
  for (const ir::Node& n : g.nodes)
    for (const std::string& o : n.outputs) produced.insert(o);
  for (auto it = g.value_infos.begin(); it != g.value_infos.end();)
    it = produced.count(it->first) ? std::next(it) : g.value_infos.erase(it);
  ir::validate_and_sort(g);
  return model;
}

ir::Model make_fp16_weight_model(const ir::Model& float_model) {
  ir::Model model = float_model;
  ir::Graph& g = model.graph;
  std::vector<std::string> names;
  for (const auto& [name, t] : g.initializers)
    if (t.dtype() == DType::Float32 && t.numel() >= 2) names.push_back(name);
  for (const std::string& name : names) {
    const std::string half = name + "_fp16", restored = name + "_fp32";
    g.initializers[half] = cast_tensor(g.initializers.at(name), DType::Float16);
    g.initializers.erase(name);
    ir::Node cast;
    cast.name = name + "_Cast";
    cast.op_type = "Cast";
    cast.inputs = {half};
    cast.outputs = {restored};
    cast.attributes["to"] = ir::int_attribute(static_cast<int64_t>(DType::Float32));
    for (ir::Node& n : g.nodes)
      for (std::string& in : n.inputs)
        if (in == name) in = restored;
    g.nodes.push_back(std::move(cast));
  }
  ir::validate_and_sort(g);
  return model;
}

}  // namespace quant::emit
