#include "plan/plan.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

#include "ops/op_table.h"
#include "qmath/rounding.h"

namespace quant::plan {
namespace {

bool is_fusable_activation(const ir::Node& n) { return n.op_type == "Relu" || n.op_type == "Clip"; }

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

// Facts about the graph the steps below share.
struct GraphFacts {
  const ir::Graph& graph;
  std::unordered_map<std::string, std::vector<const ir::Node*>> readers;
  std::unordered_map<std::string, const ir::Node*> producer;
  std::set<std::string> outputs;
  // A Relu/Clip that runs fused with the compute op before it -> that compute op.
  std::unordered_map<const ir::Node*, const ir::Node*> fused_with;

  explicit GraphFacts(const ir::Graph& g) : graph(g) {
    for (const ir::ValueInfo& o : g.outputs) outputs.insert(o.name);
    for (const ir::Node& n : g.nodes) {
      for (const std::string& in : n.inputs)
        if (!in.empty()) readers[in].push_back(&n);
      for (const std::string& out : n.outputs) producer[out] = &n;
    }
    for (const ir::Node& n : g.nodes) {
      const ops::OpEntry* op = ops::find_op(n.domain, n.op_type);
      if (!op || op->facts.kind != ops::OpKind::Compute || n.outputs.empty()) continue;
      const auto& r = readers[n.outputs[0]];
      if (r.size() == 1 && is_fusable_activation(*r.front()) && !outputs.count(n.outputs[0])) fused_with[r.front()] = &n;
    }
  }
  const std::vector<const ir::Node*>& readers_of(const std::string& tensor) const {
    static const std::vector<const ir::Node*> kNone;
    auto it = readers.find(tensor);
    return it == readers.end() ? kNone : it->second;
  }
  bool is_fused_output(const std::string& tensor) const {
    auto p = producer.find(tensor);
    if (p == producer.end()) return false;
    for (const auto& [act, compute] : fused_with)
      if (compute == p->second) return true;
    return false;
  }
};

// The rule set for a node, looked up on the node itself or, for a fused activation, on its compute op.
template <typename Map>
const typename Map::mapped_type* rule_for(const Map& rules, const GraphFacts& facts, const ir::Node* node) {
  if (!node) return nullptr;
  auto it = rules.find(node->name);
  if (it != rules.end()) return &it->second;
  auto f = facts.fused_with.find(node);
  if (f != facts.fused_with.end()) {
    auto jt = rules.find(f->second->name);
    if (jt != rules.end()) return &jt->second;
  }
  return nullptr;
}

// Per-channel absolute maximum of a weight along `axis`.
std::vector<float> channel_abs_max(const Tensor& w, int axis) {
  const Shape& s = w.shape();
  int64_t inner = 1;
  for (size_t d = static_cast<size_t>(axis) + 1; d < s.size(); ++d) inner *= s[d];
  const int64_t channels = s[static_cast<size_t>(axis)];
  std::vector<float> amax(static_cast<size_t>(channels), 0.0f);
  const float* v = w.data<float>();
  for (int64_t i = 0; i < w.numel(); ++i) {
    const size_t c = static_cast<size_t>((i / inner) % channels);
    amax[c] = std::max(amax[c], std::abs(v[i]));
  }
  return amax;
}

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

const char* rule_name(RangeRule::Kind k) {
  return k == RangeRule::Kind::Forced ? "forced" : k == RangeRule::Kind::ClipManual ? "clipped (manual)" : "clipped (percentile)";
}

void set_params(TensorQuant& q, double lo, double hi) {
  const qmath::QParams p = qmath::compute_qparams(static_cast<float>(lo), static_cast<float>(hi), q.qrange, false);
  q.scale = {p.scale};
  q.zero_point = {p.zero_point};
}

}  // namespace

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

Tensor quantize_initializer(const Tensor& values, const TensorQuant& q) {
  const Tensor v = cast_tensor(values, DType::Float32);
  Tensor out(q.dtype, v.shape(), Init::Uninitialized);
  int64_t inner = 1, channels = 1;
  if (q.axis >= 0) {
    for (size_t d = static_cast<size_t>(q.axis) + 1; d < v.shape().size(); ++d) inner *= v.shape()[d];
    channels = v.shape()[static_cast<size_t>(q.axis)];
  }
  visit_numeric(q.dtype, "quantize_initializer", [&](auto tag) {
    using Q = decltype(tag);
    Q* dst = reinterpret_cast<Q*>(out.raw());
    const float* src = v.data<float>();
    for (int64_t i = 0; i < v.numel(); ++i) {
      const size_t c = q.axis >= 0 ? static_cast<size_t>((i / inner) % channels) : 0;
      dst[i] = static_cast<Q>(q.role == Role::Bias
                                  ? qmath::quantize_value_double(src[i], q.scale[c], q.zero_point[c], q.qrange.qmin, q.qrange.qmax)
                                  : qmath::quantize_value(src[i], q.scale[c], q.zero_point[c], q.qrange.qmin, q.qrange.qmax));
    }
  });
  return out;
}

QuantPlan make_plan(const ir::Graph& graph, const calib::Statistics& stats, const PlanOptions& options) {
  QuantPlan plan;
  plan.options = options;
  const PlanRules& rules = options.rules;
  for (const ir::Node& n : graph.nodes)
    if (n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear")
      throw Error(ErrorKind::Unsupported, "the model is already quantized (it has QuantizeLinear/DequantizeLinear nodes): give the float model",
                  {.node = n.name, .op_type = n.op_type});
  const GraphFacts facts(graph);
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
  auto observed = [&](const std::string& v) { return stats.tensors.count(v) != 0; };
  for (const ir::ValueInfo& in : graph.inputs) {
    if (in.dtype != DType::Float32) continue;
    if (!observed(in.name)) throw Error(ErrorKind::Data, "no calibration statistics for model input '" + in.name + "'");
    int bits = 8;
    const LayerPrecision* precision = nullptr;
    for (const ir::Node* r : facts.readers_of(in.name))
      if (input_bits(r) > bits) bits = input_bits(r), precision = rule_for(rules.precision, facts, r);
    activations.push_back({in.name, nullptr, activation_dtype(bits, options.activation_type), precision});
    bits_of[in.name] = bits;
  }
  for (const ir::Node& n : graph.nodes) {
    const ops::OpEntry* op = ops::find_op(n.domain, n.op_type);
    if (!op || op->facts.kind == ops::OpKind::ShapeOnly) continue;
    for (const std::string& out : n.outputs) {
      if (out.empty() || !observed(out) || facts.is_fused_output(out)) continue;
      if (facts.readers_of(out).empty() && !facts.outputs.count(out)) continue;
      const LayerPrecision* precision = rule_for(rules.precision, facts, &n);
      const int bits = follows_input(&n) ? bits_of.at(n.inputs[0]) : precision ? precision->output_bits : 8;
      activations.push_back({out, &n, activation_dtype(bits, options.activation_type), precision});
      bits_of[out] = bits;
    }
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
        auto a = activation_of.find(n.inputs[i]), b = activation_of.find(out);
        if (a != activation_of.end() && b != activation_of.end() && a->second->dtype == b->second->dtype) groups.join(n.inputs[i], out);
      }
  }

  // 3. Ranges: a script rule (forced or clipped) or the calibration method; then per group the
  //    union, or the forced range when a member is forced.
  struct Chosen {
    calib::Range range;
    const RangeRule* rule = nullptr;
  };
  std::unordered_map<std::string, Chosen> chosen;
  std::unordered_map<std::string, Chosen> group_range;
  for (const Activation& a : activations) {
    const calib::TensorStats& s = stats.tensors.at(a.name);
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
    chosen[a.name] = c;
    const std::string g = groups.find(a.name);
    auto it = group_range.find(g);
    const bool forced = rule && rule->kind == RangeRule::Kind::Forced;
    if (it == group_range.end()) group_range[g] = c;
    else if (forced) it->second = c;
    else if (!(it->second.rule && it->second.rule->kind == RangeRule::Kind::Forced))
      it->second.range = {std::min(it->second.range.lo, c.range.lo), std::max(it->second.range.hi, c.range.hi)};
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
    if (g != a.name) q.shares_with = g;
    if (a.precision) q.precision_mode = a.precision->mode, q.rule_source = a.precision->source;
    if (c.rule) q.range_rule = rule_name(c.rule->kind), q.rule_source = c.rule->source;
    add(q);
  }

  // 4. Conversions: a reader whose input precision differs from the tensor's gets its own Q/DQ pair.
  std::unordered_map<std::string, std::string> conversion_for;  // "tensor\nreader" -> conversion name
  for (const ir::Node& n : graph.nodes) {
    const ops::OpEntry* op = ops::find_op(n.domain, n.op_type);
    if (!op || op->facts.kind == ops::OpKind::ShapeOnly) continue;
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
        set_params(c, t->range_min, t->range_max);
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

  // 5. Weights and biases of the compute ops.
  for (const ir::Node& n : graph.nodes) {
    const ops::OpEntry* op = ops::find_op(n.domain, n.op_type);
    if (!op || op->facts.weight_input < 0 || !n.has_input(static_cast<size_t>(op->facts.weight_input))) continue;
    const std::string& w_name = n.inputs[static_cast<size_t>(op->facts.weight_input)];
    auto w_it = graph.initializers.find(w_name);
    if (w_it == graph.initializers.end() || w_it->second.dtype() != DType::Float32 || plan.index.count(w_name)) continue;
    const Tensor& w = w_it->second;
    const LayerPrecision* precision = rule_for(rules.precision, facts, &n);
    const int w_bits = precision ? precision->weight_bits : 8;
    TensorQuant wq;
    wq.name = w_name;
    wq.role = Role::Weight;
    wq.consumers = {n.name};
    wq.dtype = w_bits > 8 ? DType::Int16 : DType::Int8;
    wq.type_name = w_bits == 4 ? "int4" : dtype_name(wq.dtype);
    wq.qrange = qmath::qrange_by_name(wq.type_name, qmath::RangeKind::Narrow);
    if (precision) wq.precision_mode = precision->mode, wq.rule_source = precision->source;
    std::vector<float> amax;
    const int axis = ops::weight_channel_axis(*op, n, static_cast<int>(w.rank()));
    if (options.per_channel_weights && axis >= 0 && axis < w.rank()) {
      amax = channel_abs_max(w, axis);
      wq.axis = axis;
    } else {
      float m = 0;
      for (float v : w.values<float>()) m = std::max(m, std::abs(v));
      amax = {m};
    }
    for (float a : amax) {
      const qmath::QParams p = qmath::compute_qparams(-a, a, wq.qrange, true);
      wq.scale.push_back(p.scale);
      wq.zero_point.push_back(p.zero_point);
    }

    // The bias, always int32 (a float bias is not safe: ONNX Runtime's optimizer quantizes it
    // itself at input scale * weight scale and can overflow int32 doing so, which wrecks 16-bit layers).
    //   single_scale_decomposition (default): scale[c] = input scale * weight scale[c], the scale
    //     integer kernels need; if that is too small for the bias, the weight scale is raised first
    //     (ONNX Runtime's rule: bias scale >= 1.0001 * 2 * max|b| / (2^32 - 2)).
    //   double_scale_initialization / double_scale_decomposition: the bias gets its own finer scale,
    //     max|b| / (2^31 - 1) per tensor; runtimes then add it in float (no integer fusion).
    const std::string input = n.has_input(0) ? n.inputs[0] : "";
    auto conv = conversion_for.find(input + "\n" + n.name);
    const TensorQuant* input_q = plan.find(conv != conversion_for.end() ? conv->second : input);
    auto mode = rules.bias_mode.find(n.name);
    const bool double_scale = mode != rules.bias_mode.end() && mode->second != "single_scale_decomposition";
    const bool has_bias = op->facts.bias_input >= 0 && n.has_input(static_cast<size_t>(op->facts.bias_input));
    if (has_bias && input_q) {
      const std::string& b_name = n.inputs[static_cast<size_t>(op->facts.bias_input)];
      auto b_it = graph.initializers.find(b_name);
      const size_t channels = wq.scale.size();
      const bool fits = b_it != graph.initializers.end() && b_it->second.dtype() == DType::Float32 && b_it->second.rank() == 1 &&
                        (channels == 1 || b_it->second.numel() == static_cast<int64_t>(channels));
      if (fits && !plan.index.count(b_name)) {
        const Tensor& b = b_it->second;
        const float s_in = input_q->scale[0];
        double bmax = 0;
        for (float v : b.values<float>()) bmax = std::max<double>(bmax, std::abs(v));
        TensorQuant bq;
        bq.name = b_name;
        bq.role = Role::Bias;
        bq.consumers = {n.name};
        bq.dtype = DType::Int32;
        bq.type_name = "int32";
        bq.qrange = qmath::qrange(DType::Int32);
        if (double_scale) {
          bq.scale = {bmax > 0 ? static_cast<float>(bmax / 2147483647.0) : 1.0f};
          bq.zero_point = {0};
          bq.rule_source = mode->second;
        } else {
          const double smallest = 1.0001 * 2.0 * bmax / (4294967296.0 - 2.0);
          for (float& s_w : wq.scale)
            if (static_cast<double>(s_in) * s_w < smallest) s_w = static_cast<float>(smallest / s_in);
          bq.axis = channels > 1 ? 0 : -1;
          for (float s_w : wq.scale) {
            bq.scale.push_back(s_in * s_w);  // float32 product, as ONNX Runtime computes it
            bq.zero_point.push_back(0);
          }
        }
        add(wq);
        add(bq);
        continue;
      }
    }
    add(wq);
  }
  return plan;
}

}  // namespace quant::plan
