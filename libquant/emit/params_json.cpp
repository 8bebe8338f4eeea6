#include "emit/params_json.h"

namespace quant::emit {

nlohmann::ordered_json params_json(const plan::QuantPlan& plan, const ParamsContext& context) {
  nlohmann::ordered_json out;
  out["format"] = "quant-params";
  out["version"] = 1;
  out["model"] = context.model_path;
  out["quantized_model"] = context.quantized_model_path;
  out["calibration"] = {{"method", calib::method_name(plan.options.method)}, {"samples", context.samples}};
  if (plan.options.method == calib::Method::Percentile) out["calibration"]["percentile"] = plan.options.method_options.percentile;
  if (!context.data_adjustments.empty()) out["calibration"]["data_adjustments"] = context.data_adjustments;
  // What is quantized: "default" (integer compute ops and what lies between them) or "full_integer".
  out["policy"] = plan.options.full_integer ? "full_integer" : "default";
  for (const auto& [name, values] : context.fixed_inputs) out["fixed_inputs"][name] = values;
  out["tensors"] = nlohmann::ordered_json::array();
  for (const plan::TensorQuant& q : plan.tensors) {
    nlohmann::ordered_json t;
    t["name"] = q.name;
    t["role"] = plan::role_name(q.role);
    t["producer"] = q.producer;
    if (!q.consumers.empty()) t["consumers"] = q.consumers;
    if (!q.source_tensor.empty()) t["source_tensor"] = q.source_tensor;
    t["dtype"] = q.type_name;
    std::vector<double> lo, hi;
    for (size_t c = 0; c < q.scale.size(); ++c) {
      const qmath::RealRange r = qmath::limvals({q.scale[c], q.zero_point[c]}, q.qrange);
      lo.push_back(r.min);
      hi.push_back(r.max);
    }
    if (q.per_channel()) {
      t["qp_scale"] = q.scale;
      t["qp_zp"] = q.zero_point;
      t["axis"] = q.axis;
      t["limvals_min"] = lo;
      t["limvals_max"] = hi;
    } else {
      t["qp_scale"] = q.scale[0];
      t["qp_zp"] = q.zero_point[0];
      t["limvals_min"] = lo[0];
      t["limvals_max"] = hi[0];
    }
    t["qmin"] = q.qrange.qmin;
    t["qmax"] = q.qrange.qmax;
    if (!q.precision_mode.empty()) t["precision_mode"] = q.precision_mode;
    if (q.is_activation()) {
      t["calibrated_min"] = q.observed_min;
      t["calibrated_max"] = q.observed_max;
      t["range_min"] = q.range_min;
      t["range_max"] = q.range_max;
      t["method"] = calib::method_name(plan.options.method);
      if (!q.shares_with.empty()) t["shares_params_with"] = q.shares_with;
      if (!q.range_rule.empty()) t["range_rule"] = q.range_rule;
    }
    if (!q.rule_source.empty()) t["rule_source"] = q.rule_source;
    out["tensors"].push_back(t);
  }
  // Every node's decision: the counts, then each node and each constant left float, with why.
  const plan::NodeDecisions& d = plan.decisions;
  out["nodes"] = {{"total", d.nodes}, {"quantized", d.quantized}, {"float", d.float_nodes.size()},
                  {"float_constants", d.float_constants.size()}, {"float_weights", d.float_weights()}};
  auto items = [](const std::vector<plan::FloatItem>& list) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const plan::FloatItem& f : list) {
      nlohmann::ordered_json j;
      j["node"] = f.node;
      j["op_type"] = f.op_type;
      if (!f.tensor.empty()) j["tensor"] = f.tensor;
      if (f.is_weight) j["weight"] = true;
      j["reason"] = f.reason;
      a.push_back(j);
    }
    return a;
  };
  out["float_nodes"] = items(d.float_nodes);
  out["float_constants"] = items(d.float_constants);
  out["float_tensors"] = items(d.float_tensors);
  return out;
}

}  // namespace quant::emit
