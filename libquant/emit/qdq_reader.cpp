#include "emit/qdq_reader.h"

#include <map>
#include <set>

namespace quant::emit {

namespace {

std::string without_suffix(const std::string& name, const std::string& suffix) {
  if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
    return name.substr(0, name.size() - suffix.size());
  return name;
}

}  // namespace

std::vector<QdqEntry> read_qdq(const ir::Graph& g) {
  std::map<std::string, const ir::Node*> producer;
  std::set<std::string> dq_outputs;
  for (const ir::Node& n : g.nodes) {
    for (const std::string& o : n.outputs) producer[o] = &n;
    if (n.op_type == "DequantizeLinear" && !n.outputs.empty()) dq_outputs.insert(n.outputs[0]);
  }
  auto init = [&](const std::string& name) -> const Tensor* {
    auto it = g.initializers.find(name);
    return it == g.initializers.end() ? nullptr : &it->second;
  };
  std::vector<QdqEntry> entries;
  for (const ir::Node& n : g.nodes) {
    if (n.op_type != "DequantizeLinear" || n.inputs.size() < 2) continue;
    const Tensor* scale = init(n.inputs[1]);
    if (!scale) continue;
    const Tensor* zp = n.has_input(2) ? init(n.inputs[2]) : nullptr;
    QdqEntry e;
    e.tensor = without_suffix(n.inputs[0], "_quantized");
    e.dq_node = n.name;
    e.dq_output = n.outputs[0];
    e.scale = scale->to_float_vector();
    e.zero_point = zp ? zp->to_int64_vector() : std::vector<int64_t>(e.scale.size(), 0);
    e.dtype = zp ? zp->dtype() : DType::UInt8;
    e.axis = scale->numel() > 1 ? n.attr_int("axis", 1) : -1;
    if (const Tensor* x = init(n.inputs[0])) {
      e.constant = true;
      e.dtype = x->dtype();
      e.bytes = static_cast<int64_t>(x->nbytes());
    } else if (auto q = producer.find(n.inputs[0]); q != producer.end() && q->second->op_type == "QuantizeLinear") {
      e.q_node = q->second->name;
      e.q_input = q->second->inputs[0];
      e.conversion = dq_outputs.count(e.q_input) != 0;
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

}  // namespace quant::emit
