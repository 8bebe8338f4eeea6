#include "analyze/qdq_layout.h"

#include <map>
#include <set>

#include "core/error.h"
#include "qmath/qparams.h"

namespace quant::analyze {

namespace {

bool ends_with(const std::string& s, const std::string& tail) { return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0; }
std::string without(const std::string& s, const std::string& tail) { return ends_with(s, tail) ? s.substr(0, s.size() - tail.size()) : s; }
bool is_q(const ir::Node& n) { return n.op_type == "QuantizeLinear"; }
bool is_dq(const ir::Node& n) { return n.op_type == "DequantizeLinear"; }

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
  std::map<std::string, const ir::Node*> q_by_output;
  std::set<std::string> dq_outputs;
  for (const ir::Node& n : quant.nodes) {
    if (is_q(n)) q_by_output[n.outputs[0]] = &n;
    if (is_dq(n)) dq_outputs.insert(n.outputs[0]);
  }
  QdqLayout layout;
  for (const ir::Node& dq : quant.nodes) {
    if (!is_dq(dq)) continue;
    const std::string& in = dq.inputs[0];
    if (quant.initializers.count(in)) {
      const std::string float_name = without(in, "_quantized");
      if (!float_graph.initializers.count(float_name))
        throw Error(ErrorKind::Usage, "the quantized model's constant '" + in + "' has no float initializer '" + float_name +
                                          "' in the float model: give the float model this one was quantized from");
      layout.constants.push_back({dq.name, dq.outputs[0], float_name});
      continue;
    }
    auto q = q_by_output.find(in);
    if (q == q_by_output.end()) continue;
    const std::string& q_input = q->second->inputs[0];
    if (dq_outputs.count(q_input)) continue;  // a conversion: a requantization of another pair
    const std::string tensor = float_values.count(q_input) ? q_input : without(q_input, "_prequant");
    if (!float_values.count(tensor))
      throw Error(ErrorKind::Usage, "the quantized model quantizes tensor '" + tensor +
                                        "', which the float model does not have: give the float model this one was quantized from");
    ActivationPair p;
    p.tensor = tensor;
    p.q_node = q->second->name;
    p.dq_node = dq.name;
    p.q_input = q_input;
    p.dq_output = dq.outputs[0];
    const Tensor& scale = quant.initializers.at(dq.inputs[1]);
    p.scale = scale.value_as_double(0);
    if (dq.inputs.size() > 2 && !dq.inputs[2].empty()) {
      const Tensor& zp = quant.initializers.at(dq.inputs[2]);
      p.zero_point = zp.value_as_int64(0);
      const qmath::QRange r = qmath::qrange(zp.dtype());
      p.qmin = r.qmin, p.qmax = r.qmax;
      p.dtype = dtype_name(zp.dtype());
    }
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
