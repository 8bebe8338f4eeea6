#include "prepare/upgrade.h"

#include <set>

#include "onnx/schema.h"
#include "prepare/opset_rules.h"

namespace quant::prepare {

int default_target_opset(const ir::Model& model) {
  auto it = model.opsets.find("");
  const int own = it == model.opsets.end() ? 1 : static_cast<int>(it->second);
  return std::max(13, own);
}

namespace {

// Upgrades every default-domain node of `graph` and of its subgraphs (If branches) from
// result.from to result.to, then checks each against the target schema.
void upgrade_graph(ir::Graph& graph, UpgradeResult& result, std::set<std::string>& described) {
  const int target = result.to;
  GraphEdit edit(graph);
  RuleContext ctx{edit, target};
  for (ir::Node& node : graph.nodes) {
    for (auto& [key, a] : node.attributes)
      if (a.kind == ir::AttrKind::Graph && a.g) upgrade_graph(*a.g, result, described);
    if (!node.domain.empty()) continue;
    bool rewritten = false;
    for (int at = result.from;;) {
      const std::vector<int> changes = onnx_io::schema_changes(node.op_type, at, target);
      if (changes.empty()) break;
      const int next = changes.front();
      const FormChange* change = find_form_change(node.op_type, next);
      if (!change)
        throw Error(ErrorKind::Unsupported,
                    "no rule brings " + node.op_type + "-" + std::to_string(onnx_io::schema_since_version(node.op_type, at)) + " (opset " +
                        std::to_string(result.from) + ") to opset " + std::to_string(target) + ": its form changes at opset " +
                        std::to_string(next) + " (upgrade the model with its exporter, or pass --target-opset " + std::to_string(next - 1) + ")",
                    {.node = node.name, .op_type = node.op_type});
      const std::string before = node.op_type + "-" + std::to_string(onnx_io::schema_since_version(node.op_type, at));
      if (change->rule) {
        try {
          change->rule(node, ctx);
        } catch (const Error& e) {
          throw e.with_node(node.name, before);
        }
        rewritten = true;
        const std::string line = before + " -> " + std::to_string(next) + ": " + std::string(change->what);
        if (described.insert(line).second) result.changes.push_back(line);
      }
      at = next;
    }
    result.rewritten += rewritten;
  }
  edit.commit();
  for (ir::Node& node : graph.nodes) {
    if (!node.domain.empty()) continue;
    node.opset = target;
    try {
      onnx_io::apply_schema(node, {.node = node.name, .op_type = node.op_type});
    } catch (const Error& e) {
      throw Error(ErrorKind::Internal, "after the opset upgrade: " + e.message(), e.context());
    }
  }
}

}  // namespace

UpgradeResult upgrade_opset(ir::Model& model, int target) {
  UpgradeResult result;
  result.from = static_cast<int>(model.opsets.at(""));
  result.to = target;
  if (target > onnx_io::kNewestSchemaOpset)
    throw Error(ErrorKind::Unsupported, "target opset " + std::to_string(target) + " is newer than quant's ONNX schemas (up to " +
                                            std::to_string(onnx_io::kNewestSchemaOpset) + ")");
  if (target < result.from)
    throw Error(ErrorKind::Usage, "target opset " + std::to_string(target) + " is older than the model's own (" + std::to_string(result.from) +
                                      "): quant upgrades, it does not downgrade");
  if (target == result.from) return result;
  if (result.from < kOldestUpgradableOpset)
    throw Error(ErrorKind::Unsupported, "the model's opset " + std::to_string(result.from) + " is older than quant upgrades from (" +
                                            std::to_string(kOldestUpgradableOpset) + ")");

  std::set<std::string> described;
  upgrade_graph(model.graph, result, described);
  model.opsets[""] = target;
  ir::validate_and_sort(model.graph);
  return result;
}

std::vector<FormChangeInfo> form_changes() {
  std::vector<FormChangeInfo> out;
  for (const FormChange& c : all_form_changes()) out.push_back({std::string(c.op), c.at, c.rule != nullptr, std::string(c.what)});
  return out;
}

}  // namespace quant::prepare
