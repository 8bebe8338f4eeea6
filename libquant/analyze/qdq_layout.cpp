#include "analyze/qdq_layout.h"

#include <map>
#include <set>

#include "core/error.h"
#include "emit/qdq_reader.h"
#include "qmath/qparams.h"

namespace quant::analyze {

namespace {

// Every value the float graph defines: inputs, initializers and node outputs.
std::set<std::string> defined_values(const ir::Graph& g) {
  std::set<std::string> out;
  for (const ir::ValueInfo& v : g.inputs) out.insert(v.name);
  for (const auto& [name, t] : g.initializers) out.insert(name);
  for (const ir::Node& n : g.nodes) out.insert(n.outputs.begin(), n.outputs.end());
  return out;
}

}  // namespace

QdqLayout find_qdq_layout(const ir::Graph& quant, const ir::Graph& float_graph) {
  const std::set<std::string> float_values = defined_values(float_graph);
  QdqLayout layout;
  for (const emit::QdqEntry& e : emit::read_qdq(quant)) {
    if (e.constant) {
      if (!float_graph.initializers.count(e.tensor))
        throw Error(ErrorKind::Usage, "the quantized model's constant '" + e.tensor + "_quantized' has no float initializer '" + e.tensor +
                                          "' in the float model: give the float model this one was quantized from");
      layout.constants.push_back({e.dq_node, e.dq_output, e.tensor});
      continue;
    }
    if (e.q_input.empty() || e.conversion) continue;  // conversions requantize another pair
    if (!float_values.count(e.tensor))
      throw Error(ErrorKind::Usage, "the quantized model quantizes tensor '" + e.tensor +
                                        "', which the float model does not have: give the float model this one was quantized from");
    ActivationPair p;
    p.tensor = e.tensor;
    p.q_node = e.q_node;
    p.dq_node = e.dq_node;
    p.q_input = e.q_input;
    p.dq_output = e.dq_output;
    p.scale = e.scale.at(0);
    p.zero_point = e.zero_point.at(0);
    const qmath::QRange r = qmath::qrange(e.dtype);
    p.qmin = r.qmin, p.qmax = r.qmax;
    p.dtype = dtype_name(e.dtype);
    layout.activations.push_back(p);
  }
  return layout;
}

ir::Graph keep_only(const ir::Graph& quant, const ir::Graph& float_graph, const QdqLayout& layout, const std::vector<std::string>& keep) {
  const std::set<std::string> kept(keep.begin(), keep.end());
  std::map<std::string, std::string> bypass;  // DQ node -> the float value its readers get instead ("" for a constant)
  ir::Graph g = quant;
  for (const ActivationPair& p : layout.activations)
    if (!kept.count(p.dq_node)) bypass[p.dq_node] = p.q_input;
  for (const ConstantDq& c : layout.constants)
    if (!kept.count(c.dq_node)) {
      bypass[c.dq_node] = "";
      g.initializers[c.dq_output] = float_graph.initializers.at(c.float_name);
    }
  std::vector<ir::Node> nodes;
  for (ir::Node& n : g.nodes) {
    auto it = bypass.find(n.name);
    if (it == bypass.end()) {
      nodes.push_back(std::move(n));
    } else if (!it->second.empty()) {  // an activation pair: Identity of what the Q read
      ir::Node id;
      id.name = n.name + "_bypassed";
      id.op_type = "Identity";
      id.inputs = {it->second};
      id.outputs = n.outputs;
      nodes.push_back(std::move(id));
    }
  }
  g.nodes = std::move(nodes);
  ir::prune_unused(g);  // the bypassed pairs' QuantizeLinear nodes and quantized constants
  return g;
}

std::vector<std::string> layer_dq_nodes(const ir::Graph& quant, const QdqLayout& layout, const ir::Node& node) {
  std::map<std::string, std::string> dq_by_output;
  for (const ActivationPair& p : layout.activations) dq_by_output[p.dq_output] = p.dq_node;
  for (const ConstantDq& c : layout.constants) dq_by_output[c.dq_output] = c.dq_node;
  std::map<std::string, std::string> dq_by_q_input;
  for (const ActivationPair& p : layout.activations) dq_by_q_input[p.q_input] = p.dq_node;
  std::vector<std::string> out;
  for (const std::string& in : node.inputs)
    if (auto it = dq_by_output.find(in); it != dq_by_output.end()) out.push_back(it->second);
  // The output's pair, following a fused Relu/Clip (the only reader of the output).
  std::string value = node.outputs.empty() ? "" : node.outputs[0];
  for (int hops = 0; hops < 3 && !value.empty(); ++hops) {
    if (auto it = dq_by_q_input.find(value); it != dq_by_q_input.end()) {
      out.push_back(it->second);
      break;
    }
    const ir::Node* next = nullptr;
    int readers = 0;
    for (const ir::Node& n : quant.nodes)
      for (const std::string& in : n.inputs)
        if (in == value) ++readers, next = &n;
    if (readers != 1 || !(next->op_type == "Relu" || next->op_type == "Clip")) break;
    value = next->outputs[0];
  }
  return out;
}

}  // namespace quant::analyze
