#include "plan/weights.h"

#include <algorithm>
#include <cmath>

#include "qmath/rounding.h"

namespace quant::plan {
namespace {

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

}  // namespace

const ir::Node* shared_with_float_layer(const std::string& weight, const GraphFacts& facts, const Policy& policy) {
  for (const ir::Node* r : facts.readers_of(weight)) {
    const std::string* w = ops::weight_input_name(ops::find_op(r->domain, r->op_type), *r);
    if (w && *w == weight && !policy.runs_integer(r)) return r;
  }
  return nullptr;
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

void add_weights_and_biases(QuantPlan& plan, const ir::Graph& graph, const GraphFacts& facts, const Policy& policy,
                            const std::unordered_map<std::string, std::string>& conversion_for) {
  const PlanRules& rules = plan.options.rules;
  auto add = [&](TensorQuant q) {
    plan.index[q.name] = plan.tensors.size();
    plan.tensors.push_back(std::move(q));
  };
  for (const ir::Node& n : graph.nodes) {
    const ops::OpEntry* op = ops::find_op(n.domain, n.op_type);
    const std::string* weight = ops::weight_input_name(op, n);
    if (!weight || !policy.runs_integer(&n)) continue;
    const std::string& w_name = *weight;
    auto w_it = graph.initializers.find(w_name);
    if (w_it == graph.initializers.end() || w_it->second.dtype() != DType::Float32 || shared_with_float_layer(w_name, facts, policy)) continue;
    if (auto tied = plan.index.find(w_name); tied != plan.index.end()) {
      // A weight several nodes read (tied weights): quantized once, on the first reader's axis.
      plan.tensors[tied->second].consumers.push_back(n.name);
      continue;
    }
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
    if (plan.options.per_channel_weights && axis >= 0 && axis < w.rank()) {
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
}

}  // namespace quant::plan
