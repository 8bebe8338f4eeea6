// quantize ops [--json]: the operators the interpreter runs, with their per-op facts.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "ops/op_table.h"

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

}  // namespace

void register_ops(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("ops", "List the supported operators");
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->callback([json] {
    if (*json) {
      nlohmann::json out = nlohmann::json::array();
      for (const ops::OpEntry& e : ops::all_ops())
        out.push_back({{"op_type", e.op_type},
                       {"kind", kind_name(e.facts.kind)},
                       {"weight_input", e.facts.weight_input},
                       {"bias_input", e.facts.bias_input},
                       {"weight_channel_axis", axis_name(e.facts.channel_axis)}});
      std::cout << out.dump(2) << "\n";
      return;
    }
    std::printf("%-20s %-14s %-7s %-5s %s\n", "op", "kind", "weight", "bias", "channel axis");
    for (const ops::OpEntry& e : ops::all_ops())
      std::printf("%-20.*s %-14s %-7s %-5s %s\n", static_cast<int>(e.op_type.size()), e.op_type.data(), kind_name(e.facts.kind),
                  e.facts.weight_input >= 0 ? std::to_string(e.facts.weight_input).c_str() : "-",
                  e.facts.bias_input >= 0 ? std::to_string(e.facts.bias_input).c_str() : "-", axis_name(e.facts.channel_axis));
  });
}

}  // namespace quant::app
