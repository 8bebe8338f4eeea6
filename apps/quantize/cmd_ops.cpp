// quantize ops [--json] [--upgrade-rules]: the operators the interpreter runs, with their per-op
// facts; or the opset upgrade table (every op form change between opsets, and what quant does).
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "ops/op_table.h"
#include "prepare/upgrade.h"

namespace quant::app {
namespace {

const char* kind_name(ops::OpKind kind) {
  static const char* const kNames[] = {"compute", "elementwise", "activation", "data-movement", "shape-only", "quantization"};
  return kNames[static_cast<int>(kind)];
}

const char* axis_name(ops::ChannelAxis axis) {
  static const char* const kNames[] = {"-", "0", "1", "0 if transB else 1", "last"};
  return kNames[static_cast<int>(axis)];
}

void print_upgrade_rules(bool json) {
  const std::vector<prepare::FormChangeInfo> rows = prepare::form_changes();
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rows) out.push_back({{"op_type", r.op}, {"opset", r.at}, {"rewrites", r.rewrites}, {"what", r.what}});
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::printf("%-26s %-6s %-9s %s\n", "op", "opset", "rewrite", "what changes");
  for (const auto& r : rows) std::printf("%-26s %-6d %-9s %s\n", r.op.c_str(), r.at, r.rewrites ? "yes" : "-", r.what.c_str());
}

}  // namespace

void register_ops(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  auto upgrade_rules = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("ops", "List the supported operators");
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->add_flag("--upgrade-rules", *upgrade_rules, "List the opset upgrade table instead: each op form change and what quant does");
  cmd->callback([json, upgrade_rules] {
    if (*upgrade_rules) return print_upgrade_rules(*json);
    if (*json) {
      nlohmann::json out = nlohmann::json::array();
      for (const ops::OpEntry& e : ops::all_ops())
        out.push_back({{"op_type", e.op_type},
                       {"kind", kind_name(e.facts.kind)},
                       {"weight_input", e.facts.weight_input},
                       {"bias_input", e.facts.bias_input},
                       {"weight_channel_axis", axis_name(e.facts.channel_axis)},
                       {"float_by_default", e.facts.float_by_default ? nlohmann::json(e.facts.float_by_default) : nlohmann::json(nullptr)}});
      std::cout << out.dump(2) << "\n";
      return;
    }
    std::printf("%-26s %-14s %-7s %-5s %-13s %s\n", "op", "kind", "weight", "bias", "channel axis", "float by default (fragile)");
    for (const ops::OpEntry& e : ops::all_ops())
      std::printf("%-26.*s %-14s %-7s %-5s %-13s %s\n", static_cast<int>(e.op_type.size()), e.op_type.data(), kind_name(e.facts.kind),
                  e.facts.weight_input >= 0 ? std::to_string(e.facts.weight_input).c_str() : "-",
                  e.facts.bias_input >= 0 ? std::to_string(e.facts.bias_input).c_str() : "-", axis_name(e.facts.channel_axis),
                  e.facts.float_by_default ? e.facts.float_by_default : "-");
  });
}

}  // namespace quant::app
