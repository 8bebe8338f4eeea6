#include "transform/equalization.h"

#include <cmath>
#include <optional>
#include <spdlog/spdlog.h>
#include <unordered_map>

#include "ops/op_table.h"

namespace quant::transform {
namespace {

// How a layer's weight maps channels: the output-channel axis of the first layer, and for the
// second, which weight slices input channel c touches.
struct WeightView {
  Tensor* weight = nullptr;
  Tensor* bias = nullptr;
  std::string op;
  int64_t group = 1;
  bool trans_b = false;
};

int64_t inner_size(const Shape& s, size_t from) {
  int64_t n = 1;
  for (size_t d = from; d < s.size(); ++d) n *= s[d];
  return n;
}

// Calls fn(index) for every element of W1 that belongs to output channel c.
template <typename Fn>
void for_output_channel(const WeightView& v, int64_t c, Fn&& fn) {
  const Shape& s = v.weight->shape();
  if (v.op == "Gemm" && !v.trans_b) {  // [K, N]: column c
    for (int64_t k = 0; k < s[0]; ++k) fn(k * s[1] + c);
    return;
  }
  const int64_t inner = inner_size(s, 1);  // Conv [M, C/g, ...], Gemm transB [N, K]: row c
  for (int64_t i = 0; i < inner; ++i) fn(c * inner + i);
}

// Calls fn(index) for every element of W2 that reads input channel c.
template <typename Fn>
void for_input_channel(const WeightView& v, int64_t c, Fn&& fn) {
  const Shape& s = v.weight->shape();
  if (v.op == "Gemm") {
    if (v.trans_b) for (int64_t n = 0; n < s[0]; ++n) fn(n * s[1] + c);  // [N, K]: column c
    else for (int64_t n = 0; n < s[1]; ++n) fn(c * s[1] + n);           // [K, N]: row c
    return;
  }
  // Conv [M, C/g, k...]: group g = c / (C/g) holds output channels g*M/g .. (g+1)*M/g - 1.
  const int64_t cin_g = s[1], cout_g = s[0] / v.group, k = inner_size(s, 2);
  const int64_t g = c / cin_g, j = c % cin_g;
  for (int64_t o = g * cout_g; o < (g + 1) * cout_g; ++o)
    for (int64_t i = 0; i < k; ++i) fn((o * cin_g + j) * k + i);
}

int64_t output_channels(const WeightView& v) {
  const Shape& s = v.weight->shape();
  return v.op == "Gemm" && !v.trans_b ? s[1] : s[0];
}

int64_t input_channels(const WeightView& v) {
  const Shape& s = v.weight->shape();
  if (v.op == "Gemm") return v.trans_b ? s[1] : s[0];
  return s[1] * v.group;
}

}  // namespace

int equalize_layers(ir::Model& model) {
  ir::Graph& g = model.graph;
  std::unordered_map<std::string, std::vector<ir::Node*>> readers;
  std::unordered_map<std::string, int> uses;
  for (ir::Node& n : g.nodes)
    for (const std::string& in : n.inputs)
      if (!in.empty()) readers[in].push_back(&n), ++uses[in];
  auto view = [&](ir::Node& n) -> std::optional<WeightView> {
    if (n.op_type != "Conv" && n.op_type != "Gemm") return std::nullopt;
    if (n.op_type == "Gemm" && (n.attr_int("transA", 0) != 0 || n.attr_float("alpha", 1.0f) != 1.0f || n.attr_float("beta", 1.0f) != 1.0f)) return std::nullopt;
    auto w = g.initializers.find(n.inputs[1]);
    if (w == g.initializers.end() || w->second.dtype() != DType::Float32 || uses[n.inputs[1]] != 1) return std::nullopt;
    WeightView v;
    v.weight = &w->second;
    v.op = n.op_type;
    v.group = n.attr_int("group", 1);
    v.trans_b = n.attr_int("transB", 0) != 0;
    if (n.has_input(2)) {
      auto b = g.initializers.find(n.inputs[2]);
      if (b == g.initializers.end() || uses[n.inputs[2]] != 1 || b->second.rank() != 1) return std::nullopt;
      v.bias = &b->second;
    }
    return v;
  };

  int pairs = 0;
  std::vector<ir::Node> added;
  for (ir::Node& first : g.nodes) {
    auto v1 = view(first);
    if (!v1 || first.outputs.size() != 1) continue;
    const auto& r1 = readers[first.outputs[0]];
    if (r1.size() != 1) continue;
    ir::Node& act = *r1.front();
    const bool relu_like = act.op_type == "Relu" || act.op_type == "LeakyRelu";
    float clip_max = 0;
    bool clip = false;
    if (act.op_type == "Clip") {
      // Clip(0, M) only: min 0 keeps relu's homogeneity; the bound becomes per channel.
      auto bound = [&](size_t i, float fallback) {
        if (act.opset < 11) return act.attr_float(i == 1 ? "min" : "max", fallback);
        if (!act.has_input(i)) return fallback;
        const Tensor* t = g.constant(act.inputs[i]);
        return !t || t->numel() != 1 ? std::nanf("") : t->to_float_vector()[0];
      };
      clip = bound(1, -INFINITY) == 0.0f && std::isfinite(clip_max = bound(2, INFINITY));
    }
    if (!relu_like && !clip) continue;
    const auto& r2 = readers[act.outputs[0]];
    if (r2.size() != 1 || r2.front()->inputs.empty() || r2.front()->inputs[0] != act.outputs[0]) continue;
    ir::Node& second = *r2.front();
    auto v2 = view(second);
    if (!v2) continue;
    const int64_t channels = output_channels(*v1);
    if (input_channels(*v2) != channels || (v1->bias && v1->bias->numel() != channels)) continue;

    // s[c] = sqrt(r1[c] / r2[c])
    std::vector<float> s(static_cast<size_t>(channels), 1.0f);
    float* w1 = v1->weight->data<float>();
    float* w2 = v2->weight->data<float>();
    for (int64_t c = 0; c < channels; ++c) {
      float a = 0, b = 0;
      for_output_channel(*v1, c, [&](int64_t i) { a = std::max(a, std::abs(w1[i])); });
      for_input_channel(*v2, c, [&](int64_t i) { b = std::max(b, std::abs(w2[i])); });
      if (a > 0 && b > 0) s[static_cast<size_t>(c)] = std::sqrt(a / b);
    }
    for (int64_t c = 0; c < channels; ++c) {
      const float sc = s[static_cast<size_t>(c)];
      for_output_channel(*v1, c, [&](int64_t i) { w1[i] /= sc; });
      if (v1->bias) v1->bias->data<float>()[c] /= sc;
      for_input_channel(*v2, c, [&](int64_t i) { w2[i] *= sc; });
    }
    if (clip) {
      // Clip(x, 0, M) on the scaled channels = Min(Relu(x), M / s[c]).
      std::vector<float> bound(static_cast<size_t>(channels));
      for (int64_t c = 0; c < channels; ++c) bound[static_cast<size_t>(c)] = clip_max / s[static_cast<size_t>(c)];
      Shape shape{channels};
      if (first.op_type == "Conv") shape = Shape(static_cast<size_t>(v1->weight->rank() - 1), 1), shape[0] = channels;
      const std::string bound_name = act.name + "_equalized_bound", relu_out = act.outputs[0] + "_relu";
      g.initializers[bound_name] = Tensor::from_vector<float>(shape, bound);
      ir::Node min;
      min.name = act.name + "_Min";
      min.op_type = "Min";
      min.opset = act.opset;
      min.inputs = {relu_out, bound_name};
      min.outputs = {act.outputs[0]};
      act.op_type = "Relu";
      act.inputs.resize(1);
      act.attributes.clear();
      act.outputs = {relu_out};
      added.push_back(min);
    }
    ++pairs;
    spdlog::debug("equalized '{}' -> '{}' -> '{}' ({} channels)", first.name, act.name, second.name, channels);
  }
  for (ir::Node& n : added) g.nodes.push_back(std::move(n));
  ir::prune_unused(g);  // the Clip bounds that became per-channel Min bounds
  ir::validate_and_sort(g);
  return pairs;
}

}  // namespace quant::transform
