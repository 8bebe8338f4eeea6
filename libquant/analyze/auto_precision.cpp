#include "analyze/auto_precision.h"

#include <algorithm>
#include <map>

#include "emit/qdq.h"
#include "ops/op_table.h"

namespace quant::analyze {

namespace {

Report measure(const ir::Model& float_model, const calib::Statistics& stats, const plan::PlanOptions& options,
               const std::vector<calib::CalibrationInput>& data, const AutoPrecisionOptions& ap, bool sensitivity) {
  const ir::Model qdq = emit::make_qdq_model(float_model, plan::make_plan(float_model.graph, stats, options));
  Options o;
  o.max_samples = ap.max_samples;
  o.sensitivity = sensitivity;
  return analyze(float_model.graph, qdq.graph, data, o);
}

}  // namespace

plan::LayerPrecision precision_for_layer() { return {"a16_w16", 16, 16, 16, "auto-precision"}; }

double layer_macs(const ir::Graph& graph, const ir::Node& node) {
  const ops::OpEntry* op = ops::find_op(node.domain, node.op_type);
  const std::string* weight = ops::weight_input_name(op, node);
  if (!weight) return 0;
  auto w = graph.initializers.find(*weight);
  auto out = graph.value_infos.find(node.outputs[0]);
  if (w == graph.initializers.end() || out == graph.value_infos.end() || out->second.dims.size() < 2) return 0;
  // Output elements per sample (the first axis is the batch), divided by the output channels:
  // axis 1 for convolutions, the last axis for Gemm/MatMul.
  double elements = 1;
  const auto& dims = out->second.dims;
  for (size_t i = 1; i < dims.size(); ++i) elements *= dims[i].fixed() ? static_cast<double>(dims[i].size) : 1.0;
  const bool conv = op->facts.channel_axis == ops::ChannelAxis::Axis0 || op->facts.channel_axis == ops::ChannelAxis::Axis1;
  const auto& channel_dim = conv ? dims[1] : dims.back();
  const double channels = channel_dim.fixed() && channel_dim.size > 0 ? static_cast<double>(channel_dim.size) : 1.0;
  return static_cast<double>(w->second.numel()) * elements / channels;
}

AutoPrecisionResult auto_precision(const ir::Model& float_model, const calib::Statistics& stats, const plan::PlanOptions& base,
                                   const std::vector<calib::CalibrationInput>& data, const AutoPrecisionOptions& options) {
  AutoPrecisionResult result;
  const Report start = measure(float_model, stats, base, data, options, true);
  result.sensitivity = start.layers;
  result.steps.push_back({"", lowest_sqnr(start.outputs), 0});
  std::map<std::string, double> macs;
  double total_macs = 0;
  for (const ir::Node& n : float_model.graph.nodes) total_macs += macs[n.name] = layer_macs(float_model.graph, n);
  std::vector<LayerRow> order = start.layers;
  std::stable_sort(order.begin(), order.end(), [](const LayerRow& a, const LayerRow& b) { return a.sensitivity_db < b.sensitivity_db; });
  // Then the other nodes whose outputs are quantized (activations, element-wise ops: no MACs),
  // lowest tensor SQNR first: with every compute layer at 16 bits, their 8-bit outputs are the
  // error that is left.
  std::vector<const TensorRow*> others;
  for (const TensorRow& t : start.tensors)
    if (!t.dtype.empty() && !t.producer.empty() &&
        std::none_of(order.begin(), order.end(), [&](const LayerRow& l) { return l.node == t.producer; }))
      others.push_back(&t);
  std::stable_sort(others.begin(), others.end(), [](const TensorRow* a, const TensorRow* b) { return a->error.sqnr_db() < b->error.sqnr_db(); });
  for (const TensorRow* t : others) order.push_back({t->producer, t->op_type, t->error.sqnr_db()});

  plan::PlanOptions options16 = base;
  double mac_16 = 0;
  int done = 0;
  for (const LayerRow& layer : order) {
    if (result.steps.back().sqnr_db >= options.target_sqnr_db) break;
    if (options.progress) options.progress(1, 1, done++, static_cast<int64_t>(order.size()));
    // Layers a script already set keep the script's precision.
    if (base.rules.precision.count(layer.node)) continue;
    const double fraction = total_macs > 0 ? (mac_16 + macs[layer.node]) / total_macs : 0;
    if (fraction > options.max_16bit_fraction + 1e-12) {  // over budget: try the next, cheaper one
      result.over_budget.push_back({layer.node, 0, fraction});
      continue;
    }
    options16.rules.precision[layer.node] = precision_for_layer();
    mac_16 += macs[layer.node];
    result.layers_16bit.push_back(layer.node);
    result.steps.push_back({layer.node, lowest_sqnr(measure(float_model, stats, options16, data, options, false).outputs), fraction});
  }
  result.candidates = static_cast<int>(order.size());
  result.reached = result.steps.back().sqnr_db >= options.target_sqnr_db;
  result.final_sqnr_db = result.steps.back().sqnr_db;
  if (!result.reached) return result;
  // Raising in order overshoots: a layer raised early may not be needed once later ones are. Each
  // is taken back (latest first, the last one raised excepted) when the target holds without it.
  for (size_t k = result.layers_16bit.size(); k-- > 1 && result.layers_16bit.size() > 1;) {
    if (k + 1 == result.layers_16bit.size()) continue;
    const std::string layer = result.layers_16bit[k];
    plan::PlanOptions without = options16;
    without.rules.precision.erase(layer);
    const double sqnr = lowest_sqnr(measure(float_model, stats, without, data, options, false).outputs);
    if (sqnr >= options.target_sqnr_db) {
      options16 = without;
      result.layers_16bit.erase(result.layers_16bit.begin() + static_cast<std::ptrdiff_t>(k));
      result.taken_back.push_back({layer, sqnr, 0});
      result.final_sqnr_db = sqnr;
    }
  }
  for (const std::string& layer : result.layers_16bit) result.final_mac_fraction += total_macs > 0 ? macs[layer] / total_macs : 0;
  return result;
}

}  // namespace quant::analyze
