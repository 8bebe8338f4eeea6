#include "prepare/fold_batch_norm.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <unordered_map>

#include "prepare/graph_edit.h"

namespace quant::prepare {
namespace {

// The output channel of each weight element of W, per op (channels = 0: not an op that folds).
struct ChannelMap {
  int64_t channels = 0;
  // channel(i) for a flat index into W.
  std::function<int64_t(int64_t)> channel;
};

ChannelMap channel_map(const ir::Node& op, const Tensor& w) {
  const Shape& s = w.shape();
  if (s.size() < 2) return {};
  const int64_t inner0 = w.numel() / s[0];  // elements per index of axis 0
  if (op.op_type == "Conv") return {s[0], [inner0](int64_t i) { return i / inner0; }};
  if (op.op_type == "Gemm") {
    if (s.size() != 2) return {};
    if (op.attr_int("transB", 0) != 0) return {s[0], [n = s[1]](int64_t i) { return i / n; }};
    return {s[1], [n = s[1]](int64_t i) { return i % n; }};
  }
  if (op.op_type == "ConvTranspose") {
    // W is [C, M/group, k...]; input channel c of group g = c / (C/group) feeds outputs g*(M/group) + j.
    const int64_t group = op.attr_int("group", 1);
    if (group <= 0 || s[0] % group != 0) return {};
    const int64_t per_group_in = s[0] / group, per_group_out = s[1];
    const int64_t inner1 = inner0 / s[1];
    return {per_group_out * group, [=](int64_t i) {
              const int64_t c = i / inner0, j = (i / inner1) % per_group_out;
              return (c / per_group_in) * per_group_out + j;
            }};
  }
  return {};
}

std::vector<double> float_values(const Tensor* t) {
  std::vector<double> v(static_cast<size_t>(t->numel()));
  for (int64_t i = 0; i < t->numel(); ++i) v[static_cast<size_t>(i)] = t->value_as_double(i);
  return v;
}

}  // namespace

int fold_batch_norms(ir::Graph& graph) {
  GraphEdit edit(graph);
  std::unordered_map<std::string, size_t> producer;
  for (size_t i = 0; i < graph.nodes.size(); ++i)
    for (const std::string& o : graph.nodes[i].outputs) producer[o] = i;
  std::vector<bool> drop(graph.nodes.size(), false);
  int folded = 0;
  for (size_t b = 0; b < graph.nodes.size(); ++b) {
    const ir::Node& bn = graph.nodes[b];
    if (bn.op_type != "BatchNormalization" || !bn.domain.empty() || bn.inputs.size() != 5) continue;
    if (bn.attr_int("training_mode", 0) != 0) continue;
    if (bn.outputs.size() > 1 && std::any_of(bn.outputs.begin() + 1, bn.outputs.end(), [](const std::string& o) { return !o.empty(); })) continue;
    auto p = producer.find(bn.inputs[0]);
    if (p == producer.end() || drop[p->second]) continue;
    ir::Node& op = graph.nodes[p->second];
    if (!op.domain.empty() || op.outputs.size() != 1 || edit.reader_count(op.outputs[0]) != 1 || graph.is_output(op.outputs[0])) continue;
    const Tensor* w = op.has_input(1) ? graph.constant(op.inputs[1]) : nullptr;
    if (!w || w->dtype() != DType::Float32 || !graph.initializers.count(op.inputs[1])) continue;
    const ChannelMap map = channel_map(op, *w);
    if (map.channels == 0) continue;
    const Tensor *scale = graph.constant(bn.inputs[1]), *bias = graph.constant(bn.inputs[2]), *mean = graph.constant(bn.inputs[3]),
                 *var = graph.constant(bn.inputs[4]);
    if (!scale || !bias || !mean || !var) continue;
    if (scale->numel() != map.channels || bias->numel() != map.channels || mean->numel() != map.channels || var->numel() != map.channels) continue;
    const Tensor* old_bias = op.has_input(2) ? graph.constant(op.inputs[2]) : nullptr;
    if (op.has_input(2) && (!old_bias || (old_bias->numel() != map.channels && old_bias->numel() != 1))) continue;
    const bool gemm = op.op_type == "Gemm";
    const double beta = gemm ? op.attr_float("beta", 1.0f) : 1.0;  // Gemm's C is scaled by beta

    const double eps = bn.attr_float("epsilon", 1e-5f);
    const std::vector<double> g = float_values(scale), be = float_values(bias), mu = float_values(mean), v = float_values(var);
    std::vector<double> s(static_cast<size_t>(map.channels));
    for (size_t c = 0; c < s.size(); ++c) s[c] = g[c] / std::sqrt(v[c] + eps);

    Tensor new_w(DType::Float32, w->shape(), Init::Uninitialized);
    const float* src = w->data<float>();
    float* dst = new_w.data<float>();
    for (int64_t i = 0; i < w->numel(); ++i) dst[i] = static_cast<float>(src[i] * s[static_cast<size_t>(map.channel(i))]);
    Tensor new_b(DType::Float32, {map.channels}, Init::Uninitialized);
    for (int64_t c = 0; c < map.channels; ++c) {
      const double b0 = old_bias ? beta * old_bias->value_as_double(old_bias->numel() == 1 ? 0 : c) : 0.0;
      const size_t k = static_cast<size_t>(c);
      new_b.data<float>()[c] = static_cast<float>((b0 - mu[k]) * s[k] + be[k]);
    }
    // A weight another node also reads (tied) is left as it is for that node.
    auto store = [&](const std::string& name, const std::string& base, Tensor t) {
      if (!name.empty() && graph.initializers.count(name) && edit.reader_count(name) == 1) {
        graph.initializers[name] = std::move(t);
        return name;
      }
      return edit.add_initializer(base, std::move(t));
    };
    op.inputs[1] = store(op.inputs[1], op.name + "_weight_bn", std::move(new_w));
    const std::string bias_name = store(op.has_input(2) ? op.inputs[2] : "", op.name + "_bias_bn", std::move(new_b));
    if (op.inputs.size() < 3) op.inputs.resize(3);
    op.inputs[2] = bias_name;
    if (gemm) op.attributes["beta"] = ir::Attribute{.kind = ir::AttrKind::Float, .f = 1.0f};
    graph.value_infos.erase(op.outputs[0]);
    op.outputs[0] = bn.outputs[0];
    drop[b] = true;
    ++folded;
  }
  std::vector<ir::Node> kept;
  for (size_t i = 0; i < graph.nodes.size(); ++i)
    if (!drop[i]) kept.push_back(std::move(graph.nodes[i]));
  graph.nodes = std::move(kept);
  return folded;
}

}  // namespace quant::prepare
