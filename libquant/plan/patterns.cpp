#include "plan/patterns.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace quant::plan {
namespace {

// The one reader of `tensor` with op type `op`, when it is the only reader.
const ir::Node* sole_reader(const GraphFacts& f, const std::string& tensor, const char* op) {
  const auto& r = f.readers_of(tensor);
  return r.size() == 1 && r.front()->op_type == op ? r.front() : nullptr;
}

// The scalar value of a constant input (an initializer of one element), or NaN.
double scalar_input(const GraphFacts& f, const ir::Node& n, size_t i) {
  if (!n.has_input(i)) return NAN;
  auto it = f.graph.initializers.find(n.inputs[i]);
  if (it == f.graph.initializers.end() || it->second.numel() != 1 || it->second.dtype() != DType::Float32) return NAN;
  return it->second.data<float>()[0];
}
bool is_constant(const GraphFacts& f, const std::string& t) { return f.graph.initializers.count(t) != 0; }
bool near(double v, double want) { return std::abs(v - want) <= 1e-3 * std::abs(want); }

// The other input of a binary node, given one of them.
const std::string* other_input(const ir::Node& n, const std::string& one) {
  if (n.inputs.size() != 2) return nullptr;
  return n.inputs[0] == one ? &n.inputs[1] : n.inputs[1] == one ? &n.inputs[0] : nullptr;
}

// ReduceMean(x) -> Sub(x, mean) -> Pow(d, 2) | Mul(d, d) -> ReduceMean -> Add(eps) -> Sqrt -> Div(d, sqrt)
// [-> Mul(gamma)] [-> Add(beta)], starting at the first ReduceMean.
std::vector<const ir::Node*> match_layer_norm(const GraphFacts& f, const ir::Node& mean) {
  if (mean.op_type != "ReduceMean" || mean.inputs.empty() || mean.outputs.size() != 1) return {};
  const std::string& x = mean.inputs[0];
  const ir::Node* sub = sole_reader(f, mean.outputs[0], "Sub");
  if (!sub || sub->inputs.size() != 2 || sub->inputs[0] != x || sub->inputs[1] != mean.outputs[0]) return {};
  const std::string& d = sub->outputs[0];
  const ir::Node *square = nullptr, *div = nullptr;
  for (const ir::Node* r : f.readers_of(d)) {
    if (r->op_type == "Pow" && r->inputs[0] == d && near(scalar_input(f, *r, 1), 2.0)) square = r;
    else if (r->op_type == "Mul" && r->inputs.size() == 2 && r->inputs[0] == d && r->inputs[1] == d) square = r;
    else if (r->op_type == "Div" && r->inputs[0] == d) div = r;
    else return {};
  }
  if (!square || !div) return {};
  const ir::Node* var = sole_reader(f, square->outputs[0], "ReduceMean");
  const ir::Node* eps = var ? sole_reader(f, var->outputs[0], "Add") : nullptr;
  const std::string* epsilon = eps ? other_input(*eps, var->outputs[0]) : nullptr;
  if (!epsilon || !is_constant(f, *epsilon)) return {};
  const ir::Node* sqrt = sole_reader(f, eps->outputs[0], "Sqrt");
  if (!sqrt || sole_reader(f, sqrt->outputs[0], "Div") != div || div->inputs[1] != sqrt->outputs[0]) return {};
  std::vector<const ir::Node*> nodes = {&mean, sub, square, var, eps, sqrt, div};
  // The affine part, when it follows with constant operands.
  for (const char* op : {"Mul", "Add"}) {
    const ir::Node* next = sole_reader(f, nodes.back()->outputs[0], op);
    const std::string* c = next ? other_input(*next, nodes.back()->outputs[0]) : nullptr;
    if (!c || !is_constant(f, *c) || f.outputs.count(nodes.back()->outputs[0])) break;
    nodes.push_back(next);
  }
  return nodes;
}

// Div(x, sqrt 2) | Mul(x, 1/sqrt 2) -> Erf -> Add(1) -> Mul(x | x/2, .) [-> Mul(0.5)], starting at Erf.
std::vector<const ir::Node*> match_gelu(const GraphFacts& f, const ir::Node& erf) {
  if (erf.op_type != "Erf" || erf.inputs.empty()) return {};
  const ir::Node* scale = f.producer.count(erf.inputs[0]) ? f.producer.at(erf.inputs[0]) : nullptr;
  if (!scale || f.readers_of(scale->outputs[0]).size() != 1) return {};
  const bool by_div = scale->op_type == "Div" && near(scalar_input(f, *scale, 1), std::sqrt(2.0));
  const bool by_mul = scale->op_type == "Mul" && near(scalar_input(f, *scale, 1), 1 / std::sqrt(2.0));
  if (!by_div && !by_mul) return {};
  const std::string& x = scale->inputs[0];
  const ir::Node* one = sole_reader(f, erf.outputs[0], "Add");
  if (!one || !near(scalar_input(f, *one, 1), 1.0)) return {};
  const ir::Node* times = sole_reader(f, one->outputs[0], "Mul");
  const std::string* factor = times ? other_input(*times, one->outputs[0]) : nullptr;
  if (!factor) return {};
  std::vector<const ir::Node*> nodes = {scale, &erf, one};
  if (*factor != x) {  // 0.5 * x computed first
    auto p = f.producer.find(*factor);
    const ir::Node* half = p == f.producer.end() ? nullptr : p->second;
    if (!half || half->op_type != "Mul" || half->inputs[0] != x || !near(scalar_input(f, *half, 1), 0.5) || f.readers_of(*factor).size() != 1) return {};
    nodes.insert(nodes.begin(), half);
    nodes.push_back(times);
    return nodes;
  }
  nodes.push_back(times);
  const ir::Node* half = sole_reader(f, times->outputs[0], "Mul");
  if (!half || !near(scalar_input(f, *half, 1), 0.5) || f.outputs.count(times->outputs[0])) return {};
  nodes.push_back(half);
  return nodes;
}

// Sigmoid(x) | HardSigmoid(x) -> Mul(x, .), starting at the Sigmoid.
std::vector<const ir::Node*> match_swish(const GraphFacts& f, const ir::Node& gate) {
  if ((gate.op_type != "Sigmoid" && gate.op_type != "HardSigmoid") || gate.inputs.empty()) return {};
  const ir::Node* mul = sole_reader(f, gate.outputs[0], "Mul");
  const std::string* x = mul ? other_input(*mul, gate.outputs[0]) : nullptr;
  if (!x || *x != gate.inputs[0] || f.outputs.count(gate.outputs[0])) return {};
  return {&gate, mul};
}

struct PatternRow {
  const char* kind;
  bool fragile;
  std::vector<const ir::Node*> (*match)(const GraphFacts&, const ir::Node&);
};
constexpr PatternRow kPatterns[] = {
    {"decomposed LayerNorm", true, match_layer_norm},
    {"GELU (Erf)", true, match_gelu},
    {"SiLU", false, match_swish},
};

}  // namespace

std::vector<Unit> find_units(const GraphFacts& facts) {
  std::vector<Unit> units;
  std::set<const ir::Node*> taken;
  std::unordered_map<const ir::Node*, size_t> order;
  for (const ir::Node& n : facts.graph.nodes) order[&n] = order.size();
  for (const ir::Node& n : facts.graph.nodes)
    for (const PatternRow& p : kPatterns) {
      std::vector<const ir::Node*> nodes = p.match(facts, n);
      if (nodes.empty() || std::any_of(nodes.begin(), nodes.end(), [&](const ir::Node* m) { return taken.count(m); })) continue;
      std::sort(nodes.begin(), nodes.end(), [&](const ir::Node* a, const ir::Node* b) { return order.at(a) < order.at(b); });
      taken.insert(nodes.begin(), nodes.end());
      units.push_back({p.kind, p.fragile, std::move(nodes)});
    }
  return units;
}

}  // namespace quant::plan
