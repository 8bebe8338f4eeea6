#include "plan/plan.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

#include "core/parallel.h"
#include "ops/op_table.h"
#include "plan/decisions.h"
#include "plan/graph_facts.h"
#include "plan/headroom.h"
#include "plan/policy.h"
#include "plan/weights.h"
#include "qmath/rounding.h"

namespace quant::plan {
namespace {

// Union-find over activation tensor names: tensors in one group share their parameters.
struct Groups {
  std::unordered_map<std::string, std::string> parent;
  std::string find(const std::string& x) {
    auto it = parent.find(x);
    if (it == parent.end() || it->second == x) return x;
    return it->second = find(it->second);
  }
  void join(const std::string& a, const std::string& b) {
    const std::string ra = find(a), rb = find(b);
    if (ra != rb) parent[rb] = ra;  // the earlier tensor (a) leads
  }
};

calib::Range apply_range_rule(const RangeRule& rule, const calib::TensorStats& s) {
  switch (rule.kind) {
    case RangeRule::Kind::Forced: return {rule.lo, rule.hi};
    case RangeRule::Kind::ClipManual: return {std::max(s.min, rule.lo), std::min(s.max, rule.hi)};
    case RangeRule::Kind::ClipPercentile:
      if (!s.has_histograms()) throw Error(ErrorKind::Internal, "percentile clipping without histograms");
      return {std::max(s.min, calib::histogram_percentile(s.signed_hist, rule.lo / 100.0)),
              std::min(s.max, calib::histogram_percentile(s.signed_hist, rule.hi / 100.0))};
  }
  return {s.min, s.max};
}

constexpr const char* kHeadroomRule = "headroom (16-bit)";

const char* rule_name(RangeRule::Kind k) {
  return k == RangeRule::Kind::Forced ? "forced" : k == RangeRule::Kind::ClipManual ? "clipped (manual)" : "clipped (percentile)";
}

void set_params(TensorQuant& q, double lo, double hi) {
  const qmath::QParams p = qmath::compute_qparams(static_cast<float>(lo), static_cast<float>(hi), q.qrange, false);
  q.scale = {p.scale};
  q.zero_point = {p.zero_point};
}

// The activation tensors a plan quantizes under `policy`, in graph order, with their producer
// (nullptr: a graph input): the float graph inputs and the outputs of ops that compute (not shape
// or constant ops) that the policy quantizes, except fused outputs. These, and only these, are the
// tensors whose statistics make_plan reads.
std::vector<std::pair<std::string, const ir::Node*>> planned_activations(const ir::Graph& graph, const GraphFacts& facts, const Policy& policy) {
  std::vector<std::pair<std::string, const ir::Node*>> out;
  for (const ir::ValueInfo& in : graph.inputs)
    if (in.dtype == DType::Float32 && policy.quantized.count(in.name)) out.emplace_back(in.name, nullptr);
  for (const ir::Node& n : graph.nodes) {
    const ops::OpEntry* op = ops::find_op(n.domain, n.op_type);
    if (!op || op->facts.kind == ops::OpKind::ShapeOnly) continue;
    for (const std::string& o : n.outputs)
      if (policy.quantized.count(o) && !facts.is_fused_output(o)) out.emplace_back(o, &n);
  }
  return out;
}

}  // namespace

std::set<std::string> tensors_needing_statistics(const ir::Graph& graph, const PlanOptions& options,
                                                 const std::function<bool(const std::string&)>& is_float_activation) {
  const GraphFacts facts(graph);
  const Policy policy = choose_policy(facts, options.rules, options.full_integer, is_float_activation);
  std::set<std::string> names;
  for (const auto& [name, producer] : planned_activations(graph, facts, policy)) names.insert(name);
  return names;
}

const char* role_name(Role role) {
  static const char* const kNames[] = {"input", "output", "activation", "weight", "bias", "conversion"};
  return kNames[static_cast<int>(role)];
}

DType activation_dtype(int bits, DType eight_bit) {
  const bool is_signed = eight_bit == DType::Int8;
  if (bits <= 8) return is_signed ? DType::Int8 : DType::UInt8;
  return is_signed ? DType::Int16 : DType::UInt16;
}

const TensorQuant* QuantPlan::find(const std::string& name) const {
  auto it = index.find(name);
  return it == index.end() ? nullptr : &tensors[it->second];
}

bool QuantPlan::has_16_bit() const {
  for (const TensorQuant& q : tensors)
    if (q.dtype == DType::UInt16 || q.dtype == DType::Int16) return true;
  return false;
}

std::set<std::string> fused_outputs(const ir::Graph& graph) {
  const GraphFacts facts(graph);
  std::set<std::string> out;
  for (const ir::Node& n : graph.nodes)
    for (const std::string& t : n.outputs)
      if (facts.is_fused_output(t)) out.insert(t);  // the test make_plan skips them by
  return out;
}

QuantPlan make_plan(const ir::Graph& graph, const calib::Statistics& stats, const PlanOptions& options) {
  QuantPlan plan;
  plan.options = options;
  for (const ir::Node& n : graph.nodes)
    if (n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear")
      throw Error(ErrorKind::Unsupported, "the model is already quantized (it has QuantizeLinear/DequantizeLinear nodes): give the float model",
                  {.node = n.name, .op_type = n.op_type});
  const GraphFacts facts(graph);
  auto observed = [&](const std::string& v) { return stats.tensors.count(v) != 0 || stats.unobserved.count(v) != 0; };
  const Policy policy = choose_policy(facts, options.rules, options.full_integer, observed);
  // The script's rules, and under them the precisions the policy sets (16-bit fragile ops).
  PlanRules rules = options.rules;
  for (const auto& [node, precision] : policy.precision) rules.precision.emplace(node, precision);
  auto add = [&](TensorQuant q) {
    plan.index[q.name] = plan.tensors.size();
    plan.tensors.push_back(std::move(q));
  };
  // Ops that only move data keep the precision of what they move, unless a script names them.
  std::unordered_map<std::string, int> bits_of;  // activation tensor -> bits, filled in graph order
  auto follows_input = [&](const ir::Node* n) {
    const ops::OpEntry* op = n ? ops::find_op(n->domain, n->op_type) : nullptr;
    return op && op->facts.kind == ops::OpKind::DataMovement && !rule_for(rules.precision, facts, n) && n->has_input(0) &&
           bits_of.count(n->inputs[0]);
  };
  auto input_bits = [&](const ir::Node* reader) {
    if (follows_input(reader)) return bits_of.at(reader->inputs[0]);
    const LayerPrecision* r = rule_for(rules.precision, facts, reader);
    return r ? r->input_bits : 8;
  };

  // 1. Activation tensors, in graph order, with their precision.
  struct Activation {
    std::string name;
    const ir::Node* producer;
    DType dtype;
    const LayerPrecision* precision;
  };
  std::vector<Activation> activations;
  for (const ir::ValueInfo& in : graph.inputs)
    if (in.dtype == DType::Float32 && !observed(in.name)) throw Error(ErrorKind::Data, "no calibration statistics for model input '" + in.name + "'");
  for (const auto& [name, producer] : planned_activations(graph, facts, policy)) {
    int bits = 8;
    const LayerPrecision* precision = nullptr;
    if (!producer) {  // a graph input: its readers' widest input precision
      for (const ir::Node* r : facts.readers_of(name))
        if (input_bits(r) > bits) bits = input_bits(r), precision = rule_for(rules.precision, facts, r);
    } else {
      precision = rule_for(rules.precision, facts, producer);
      bits = follows_input(producer) ? bits_of.at(producer->inputs[0]) : precision ? precision->output_bits : 8;
    }
    activations.push_back({name, producer, activation_dtype(bits, options.activation_type), precision});
    bits_of[name] = bits;
  }
  std::unordered_map<std::string, const Activation*> activation_of;
  for (const Activation& a : activations) activation_of[a.name] = &a;

  // 2. Groups: data-movement ops share parameters between inputs and outputs of one precision.
  Groups groups;
  for (const ir::Node& n : graph.nodes) {
    const ops::OpEntry* op = ops::find_op(n.domain, n.op_type);
    if (!op || op->facts.kind != ops::OpKind::DataMovement) continue;
    const size_t data_inputs = n.op_type == "Concat" ? n.inputs.size() : 1;
    for (const std::string& out : n.outputs)
      for (size_t i = 0; i < data_inputs && i < n.inputs.size(); ++i) {
        // By default a Concat input that other ops read too keeps its own parameters (the Concat
        // requantizes it), so that its range is not widened for them; --full-integer shares.
        if (!options.full_integer && n.op_type == "Concat" && facts.readers_of(n.inputs[i]).size() > 1) continue;
        auto a = activation_of.find(n.inputs[i]), b = activation_of.find(out);
        if (a != activation_of.end() && b != activation_of.end() && a->second->dtype == b->second->dtype) groups.join(n.inputs[i], out);
      }
  }

  // 3. Ranges: a script rule (forced or clipped) or the calibration method; then per group the
  //    union, or the forced range when a member is forced.
  struct Chosen {
    calib::Range range;
    const RangeRule* rule = nullptr;
    bool headroom = false;
    calib::Range unwidened;  // range before headroom
  };
  // Each activation's own range, on all cores (an entropy or mse search is milliseconds per tensor;
  // a transformer has hundreds): pure, and the error of the first failing activation is the one
  // said, as in a plain loop.
  auto choose = [&](const Activation& a) {
    const calib::TensorStats& s = stats.tensors.at(a.name);
    // Calibration inputs are checked finite; an Inf here is the float model overflowing on them.
    if (s.count > 0 && (!std::isfinite(s.min) || !std::isfinite(s.max)))
      throw Error(ErrorKind::Data, "tensor '" + a.name + "': calibration saw values up to " + std::to_string(s.max) + " and down to " + std::to_string(s.min) +
                                       " (the float model overflows on the calibration data); no finite range to quantize it with",
                  {.node = a.producer ? a.producer->name : ""});
    const RangeRule* rule = rule_for(rules.output_range, facts, a.producer);
    for (const ir::Node* r : facts.readers_of(a.name)) {
      auto it = rules.input_range.find(r->name);
      if (it == rules.input_range.end()) continue;
      for (const auto& [index, in_rule] : it->second)
        if (static_cast<size_t>(index) < r->inputs.size() && r->inputs[static_cast<size_t>(index)] == a.name) rule = &in_rule;
    }
    if (auto t = rules.tensor_range.find(a.name); t != rules.tensor_range.end()) rule = &t->second;
    if (rule && rule->kind == RangeRule::Kind::ClipPercentile && !s.has_histograms())
      throw Error(ErrorKind::Usage, "percentile activation clipping needs histograms: the statistics hold only min/max");
    Chosen c{rule ? apply_range_rule(*rule, s) : calib::choose_range(s, options.method, options.method_options), rule};
    c.unwidened = c.range;
    if (!rule && dtype_size(a.dtype) == 2 && options.headroom_16bit > 0) {
      const ops::OpEntry* op = a.producer ? ops::find_op(a.producer->domain, a.producer->op_type) : nullptr;
      const calib::Range before = c.range;
      c.range = with_headroom(c.range, options.headroom_16bit, op ? op->facts.output_lo : -INFINITY, op ? op->facts.output_hi : INFINITY);
      c.headroom = c.range.lo != before.lo || c.range.hi != before.hi;
    }
    return c;
  };
  std::vector<Chosen> own(activations.size());
  parallel_for_each(0, static_cast<int64_t>(activations.size()), [&](int64_t k) { own[static_cast<size_t>(k)] = choose(activations[static_cast<size_t>(k)]); });
  std::unordered_map<std::string, Chosen> group_range;
  for (size_t k = 0; k < activations.size(); ++k) {
    const Activation& a = activations[k];
    const Chosen& c = own[k];
    const std::string g = groups.find(a.name);
    auto it = group_range.find(g);
    const bool forced = c.rule && c.rule->kind == RangeRule::Kind::Forced;
    if (it == group_range.end()) group_range[g] = c;
    else if (forced) it->second = c;
    else if (!(it->second.rule && it->second.rule->kind == RangeRule::Kind::Forced)) {
      it->second.range = {std::min(it->second.range.lo, c.range.lo), std::max(it->second.range.hi, c.range.hi)};
      it->second.unwidened = {std::min(it->second.unwidened.lo, c.unwidened.lo), std::max(it->second.unwidened.hi, c.unwidened.hi)};
      it->second.headroom = it->second.headroom || c.headroom;
    }
  }
  for (const Activation& a : activations) {
    const calib::TensorStats& s = stats.tensors.at(a.name);
    const std::string g = groups.find(a.name);
    const Chosen& c = group_range.at(g);
    TensorQuant q;
    q.name = a.name;
    q.role = !a.producer ? Role::Input : facts.outputs.count(a.name) ? Role::Output : Role::Activation;
    q.producer = a.producer ? a.producer->name : "";
    q.dtype = a.dtype;
    q.type_name = dtype_name(a.dtype);
    q.qrange = qmath::qrange(a.dtype);
    set_params(q, c.range.lo, c.range.hi);
    q.observed_min = s.min;
    q.observed_max = s.max;
    q.range_min = c.range.lo;
    q.range_max = c.range.hi;
    q.unwidened_min = c.unwidened.lo;
    q.unwidened_max = c.unwidened.hi;
    if (g != a.name) q.shares_with = g;
    if (a.precision) q.precision_mode = a.precision->mode, q.rule_source = a.precision->source;
    if (c.rule) q.range_rule = rule_name(c.rule->kind), q.rule_source = c.rule->source;
    else if (c.headroom) q.range_rule = kHeadroomRule;
    add(q);
  }

  // 4. Conversions: an integer reader whose input precision differs from the tensor's gets its
  //    own Q/DQ pair (float readers take the dequantized tensor as it is).
  std::unordered_map<std::string, std::string> conversion_for;  // "tensor\nreader" -> conversion name
  for (const ir::Node& n : graph.nodes) {
    if (!policy.runs_integer(&n)) continue;
    const int bits = input_bits(&n);
    for (const std::string& in : n.inputs) {
      const TensorQuant* t = plan.find(in);
      if (!t || in.empty()) continue;
      const DType want = activation_dtype(bits, options.activation_type);
      if (want == t->dtype) continue;
      const std::string name = in + "_as_" + dtype_name(want);
      if (!plan.index.count(name)) {
        TensorQuant c = *t;
        c.name = name;
        c.role = Role::Conversion;
        c.source_tensor = in;
        c.producer.clear();
        c.shares_with.clear();
        c.dtype = want;
        c.type_name = dtype_name(want);
        c.qrange = qmath::qrange(want);
        // An 8-bit conversion covers the range without 16-bit headroom (plan/headroom.h).
        if (dtype_size(want) == 1) {
          c.range_min = c.unwidened_min, c.range_max = c.unwidened_max;
          if (c.range_rule == kHeadroomRule) c.range_rule.clear();
        }
        set_params(c, c.range_min, c.range_max);
        const LayerPrecision* p = rule_for(rules.precision, facts, &n);
        c.precision_mode = p ? p->mode : "";
        c.rule_source = p ? p->source : "";
        add(c);
      }
      TensorQuant& c = plan.tensors[plan.index.at(name)];
      if (std::find(c.consumers.begin(), c.consumers.end(), n.name) == c.consumers.end()) c.consumers.push_back(n.name);
      conversion_for[in + "\n" + n.name] = name;
    }
  }

  // 5. Weights and biases of the compute ops (weights.cpp).
  add_weights_and_biases(plan, graph, facts, policy, conversion_for);

  // 6. Every node's decision, and every float one's reason.
  record_decisions(plan, graph, facts, policy);
  if (plan.tensors.empty()) {
    if (!options.rules.keep_float.empty())
      throw Error(ErrorKind::Unsupported, "nothing to quantize: the layers kept float (--keep-float, --keep-float-ops) leave no node that runs on integers");
    throw Error(ErrorKind::Unsupported, options.full_integer ? "nothing to quantize: the model has no float activations"
                                                             : "nothing to quantize by default: the model has no Conv, ConvTranspose, Gemm or MatMul "
                                                               "(--full-integer quantizes every float activation)");
  }
  return plan;
}

}  // namespace quant::plan
