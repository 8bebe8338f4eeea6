#include "plan/plan.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
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

// Per-channel view of a weight: channel c holds the elements whose index along `axis` is c.
void channel_abs_max(const Tensor& w, int axis, std::vector<float>& amax) {
  const Shape& s = w.shape();
  int64_t inner = 1;
  for (size_t d = static_cast<size_t>(axis) + 1; d < s.size(); ++d) inner *= s[d];
  const int64_t channels = s[static_cast<size_t>(axis)];
  amax.assign(static_cast<size_t>(channels), 0.0f);
  const float* v = w.data<float>();
  for (int64_t i = 0; i < w.numel(); ++i) {
    const size_t c = static_cast<size_t>((i / inner) % channels);
    amax[c] = std::max(amax[c], std::abs(v[i]));
  }
}

}  // namespace

const char* role_name(Role role) {
  static const char* const kNames[] = {"input", "output", "activation", "weight", "bias"};
  return kNames[static_cast<int>(role)];
}

const TensorQuant* QuantPlan::find(const std::string& name) const {
  auto it = index.find(name);
  return it == index.end() ? nullptr : &tensors[it->second];
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
  for (const ir::Node& n : graph.nodes)
    if (n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear")
      throw Error(ErrorKind::Unsupported, "the model is already quantized (it has QuantizeLinear/DequantizeLinear nodes): give the float model",
                  {.node = n.name, .op_type = n.op_type});

  // Readers of each value, and which values are graph outputs.
  std::unordered_map<std::string, std::vector<const ir::Node*>> readers;
  for (const ir::Node& n : graph.nodes)
    for (const std::string& in : n.inputs)
      if (!in.empty()) readers[in].push_back(&n);
  auto is_output = [&](const std::string& v) {
    return std::any_of(graph.outputs.begin(), graph.outputs.end(), [&](const ir::ValueInfo& o) { return o.name == v; });
  };

  // 1. Activation tensors, in graph order.
  std::vector<std::pair<std::string, const ir::Node*>> activations;  // name, producer
  auto observed = [&](const std::string& v) { return stats.tensors.count(v) != 0; };
  for (const ir::ValueInfo& in : graph.inputs)
    if (in.dtype == DType::Float32) {
      if (!observed(in.name)) throw Error(ErrorKind::Data, "no calibration statistics for model input '" + in.name + "'");
      activations.push_back({in.name, nullptr});
    }
  for (const ir::Node& n : graph.nodes) {
    const ops::OpEntry* op = ops::find_op(n.domain, n.op_type);
    if (!op || op->facts.kind == ops::OpKind::ShapeOnly) continue;
    for (const std::string& out : n.outputs) {
      if (out.empty() || !observed(out)) continue;  // not float, or never produced
      const auto& r = readers[out];
      if (r.empty() && !is_output(out)) continue;
      const bool fused = op->facts.kind == ops::OpKind::Compute && r.size() == 1 && is_fusable_activation(*r.front()) && !is_output(out);
      if (!fused) activations.push_back({out, &n});
    }
  }

  // 2. Groups: data-movement ops share parameters between their (activation) inputs and outputs.
  Groups groups;
  std::unordered_map<std::string, bool> is_activation;
  for (const auto& [name, producer] : activations) is_activation[name] = true;
  for (const ir::Node& n : graph.nodes) {
    const ops::OpEntry* op = ops::find_op(n.domain, n.op_type);
    if (!op || op->facts.kind != ops::OpKind::DataMovement) continue;
    const size_t data_inputs = n.op_type == "Concat" ? n.inputs.size() : 1;
    for (const std::string& out : n.outputs)
      for (size_t i = 0; i < data_inputs && i < n.inputs.size(); ++i)
        if (is_activation[n.inputs[i]] && is_activation[out]) groups.join(n.inputs[i], out);
  }

  // 3. Ranges: each member's chosen range, then the union over its group.
  const qmath::QRange act_range = qmath::qrange(options.activation_type);
  std::unordered_map<std::string, calib::Range> chosen, group_range;
  for (const auto& [name, producer] : activations) {
    const calib::Range r = calib::choose_range(stats.tensors.at(name), options.method, options.method_options);
    chosen[name] = r;
    const std::string g = groups.find(name);
    auto it = group_range.find(g);
    if (it == group_range.end()) group_range[g] = r;
    else it->second = {std::min(it->second.lo, r.lo), std::max(it->second.hi, r.hi)};
  }
  for (const auto& [name, producer] : activations) {
    const calib::TensorStats& s = stats.tensors.at(name);
    const std::string g = groups.find(name);
    const calib::Range r = group_range.at(g);
    TensorQuant q;
    q.name = name;
    q.role = !producer ? Role::Input : is_output(name) ? Role::Output : Role::Activation;
    q.producer = producer ? producer->name : "";
    q.dtype = options.activation_type;
    q.qrange = act_range;
    const qmath::QParams p = qmath::compute_qparams(static_cast<float>(r.lo), static_cast<float>(r.hi), act_range, false);
    q.scale = {p.scale};
    q.zero_point = {p.zero_point};
    q.observed_min = s.min;
    q.observed_max = s.max;
    q.range_min = r.lo;
    q.range_max = r.hi;
    if (g != name) q.shares_with = g;
    plan.index[name] = plan.tensors.size();
    plan.tensors.push_back(q);
  }

  // 4. Weights and biases of the compute ops.
  const qmath::QRange w_range = qmath::qrange(options.weight_type, qmath::RangeKind::Narrow);
  for (const ir::Node& n : graph.nodes) {
    const ops::OpEntry* op = ops::find_op(n.domain, n.op_type);
    if (!op || op->facts.weight_input < 0 || !n.has_input(static_cast<size_t>(op->facts.weight_input))) continue;
    const std::string& w_name = n.inputs[static_cast<size_t>(op->facts.weight_input)];
    auto w_it = graph.initializers.find(w_name);
    if (w_it == graph.initializers.end() || w_it->second.dtype() != DType::Float32 || plan.index.count(w_name)) continue;
    const Tensor& w = w_it->second;
    TensorQuant wq;
    wq.name = w_name;
    wq.role = Role::Weight;
    wq.consumer = n.name;
    wq.dtype = options.weight_type;
    wq.qrange = w_range;
    std::vector<float> amax;
    const int axis = ops::weight_channel_axis(*op, n, static_cast<int>(w.rank()));
    if (options.per_channel_weights && axis >= 0 && axis < w.rank()) {
      channel_abs_max(w, axis, amax);
      wq.axis = axis;
    } else {
      float m = 0;
      for (float v : w.values<float>()) m = std::max(m, std::abs(v));
      amax = {m};
    }
    for (float a : amax) {
      const qmath::QParams p = qmath::compute_qparams(-a, a, w_range, true);
      wq.scale.push_back(p.scale);
      wq.zero_point.push_back(p.zero_point);
    }

    // The bias: int32, scale = input scale * weight scale (per channel), zero point 0.
    const TensorQuant* input_q = n.has_input(0) ? plan.find(n.inputs[0]) : nullptr;
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
        // If s_in * s_w is so small that the bias would overflow int32, raise the weight scale
        // first (ONNX Runtime's rule): bias scale >= 1.0001 * 2 * max|b| / (2^32 - 2).
        double bmax = 0;
        for (float v : b.values<float>()) bmax = std::max<double>(bmax, std::abs(v));
        const double smallest = 1.0001 * 2.0 * bmax / (4294967296.0 - 2.0);
        for (float& s_w : wq.scale)
          if (static_cast<double>(s_in) * s_w < smallest) s_w = static_cast<float>(smallest / s_in);
        TensorQuant bq;
        bq.name = b_name;
        bq.role = Role::Bias;
        bq.consumer = n.name;
        bq.dtype = DType::Int32;
        bq.qrange = qmath::qrange(DType::Int32);
        bq.axis = channels > 1 ? 0 : -1;
        for (float s_w : wq.scale) {
          bq.scale.push_back(s_in * s_w);  // float32 product, as ONNX Runtime computes it
          bq.zero_point.push_back(0);
        }
        plan.index[b_name] = plan.tensors.size() + 1;  // after the weight
        plan.index[w_name] = plan.tensors.size();
        plan.tensors.push_back(wq);
        plan.tensors.push_back(bq);
        continue;
      }
    }
    plan.index[w_name] = plan.tensors.size();
    plan.tensors.push_back(wq);
  }
  return plan;
}

}  // namespace quant::plan
