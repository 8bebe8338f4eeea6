#include "transform/normalization.h"

namespace quant::transform {

void apply_normalizations(ir::Model& model, const script::ScriptRules& rules, plan::PlanRules& plan_rules) {
  ir::Graph& g = model.graph;
  for (const script::NormalizationRule& n : rules.normalizations) {
    if (n.input.empty() && g.inputs.size() != 1)
      script::fail_at(rules.script, n.pos, "the model has " + std::to_string(g.inputs.size()) + " inputs: name the one to normalize (third argument)", true);
    const ir::ValueInfo* input = n.input.empty() ? &g.inputs.front() : g.find_input(n.input);
    if (!input) script::fail_at(rules.script, n.pos, "the model has no input named '" + n.input + "'", true);
    const std::string name = input->name;
    const int64_t channels = static_cast<int64_t>(n.mean.size());
    // Where the channels are: [N, C, ...] or [N, ..., C].
    Shape constant_shape;
    auto dim = [&](size_t i) { return i < input->dims.size() && input->dims[i].fixed() ? input->dims[i].size : -1; };
    if (channels == 1) constant_shape = {1};
    else if (input->dims.size() >= 3 && dim(1) == channels) constant_shape = Shape(input->dims.size() - 1, 1), constant_shape[0] = channels;
    else if (input->dims.size() >= 2 && dim(input->dims.size() - 1) == channels) constant_shape = {channels};
    else
      script::fail_at(rules.script, n.pos, "normalization has " + std::to_string(channels) + " channels, input '" + name + "' " +
                                               input->shape_string() + " has no axis of that size at 1 or last", true);
    const std::string prefix = n.name.empty() ? "normalization" : n.name;
    const std::string mean_name = prefix + "_mean", std_name = prefix + "_std";
    const std::string centred = prefix + "_centred", normalized = prefix + "_output";
    g.initializers[mean_name] = Tensor::from_vector<float>(constant_shape, n.mean);
    g.initializers[std_name] = Tensor::from_vector<float>(constant_shape, n.std);
    for (ir::Node& node : g.nodes)
      for (std::string& in : node.inputs)
        if (in == name) in = normalized;
    for (ir::ValueInfo& out : g.outputs)
      if (out.name == name) throw Error(ErrorKind::Unsupported, "normalization of an input that is also an output");
    ir::Node sub, div;
    sub.name = prefix + "_Sub";
    sub.op_type = "Sub";
    sub.opset = static_cast<int>(model.opsets.at(""));
    sub.inputs = {name, mean_name};
    sub.outputs = {centred};
    div.name = prefix + "_Div";
    div.op_type = "Div";
    div.opset = sub.opset;
    div.inputs = {centred, std_name};
    div.outputs = {normalized};
    g.nodes.push_back(sub);
    g.nodes.push_back(div);
    plan_rules.tensor_range[name] = {plan::RangeRule::Kind::Forced, 0.0, 255.0, script::where(rules, n.pos) + " (normalization: raw pixels)"};
  }
  ir::validate_and_sort(g);
}

}  // namespace quant::transform
