#include "script/layers.h"

#include <fnmatch.h>

#include <algorithm>
#include <set>

#include "core/error.h"

namespace quant::script {
namespace {

bool matches(const LayerRef& ref, const std::string& name) {
  return ref.glob ? fnmatch(ref.pattern.c_str(), name.c_str(), 0) == 0 : ref.pattern == name;
}

bool node_matches(const LayerRef& ref, const ir::Node& n) {
  if (matches(ref, n.name)) return true;
  for (const std::string& o : n.outputs)
    if (matches(ref, o)) return true;
  return false;
}

bool matches_any(const LayerRef& ref, const ir::Graph& graph) {
  for (const ir::Node& n : graph.nodes)
    if (node_matches(ref, n)) return true;
  return false;
}

// "no layer matches 'X' (closest layers: ...)": the closest names catch typos and Hailo-style names
// (conv1) meant as ONNX ones (/c1/Conv).
std::string no_match_message(const LayerRef& ref, const ir::Graph& graph) {
  std::vector<std::pair<size_t, std::string>> scored;
  const std::string pattern = shortened(ref.pattern);  // a hostile 1 MB name must not cost 1 MB x every node
  for (const ir::Node& n : graph.nodes) scored.push_back({edit_distance(pattern, n.name), n.name});
  std::sort(scored.begin(), scored.end());
  std::string close;
  for (size_t i = 0; i < scored.size() && i < 5; ++i) close += (i ? ", " : "") + scored[i].second;
  const std::string shown = ref.glob ? "{" + pattern + "}" : pattern;
  return "no layer matches '" + shown + "' (closest layers: " + close + "; see 'quantize parse-model --layers')";
}

// Appends the nodes `ref` matches that `seen` does not hold yet, in graph order; false when it
// matches none.
bool add_matches(const LayerRef& ref, const ir::Graph& graph, std::vector<const ir::Node*>& out, std::set<const ir::Node*>& seen) {
  bool any = false;
  for (const ir::Node& n : graph.nodes) {
    if (!node_matches(ref, n)) continue;
    any = true;
    if (seen.insert(&n).second) out.push_back(&n);
  }
  return any;
}

}  // namespace

std::vector<const ir::Node*> resolve_layers(const ScriptRules& rules, const std::vector<LayerRef>& refs, const ir::Graph& graph) {
  std::vector<const ir::Node*> out;
  std::set<const ir::Node*> seen;
  for (const LayerRef& ref : refs)
    if (!add_matches(ref, graph, out, seen)) fail_at(rules.script, ref.pos, no_match_message(ref, graph), true);
  return out;
}

std::vector<const ir::Node*> resolve_option_layers(const std::string& option, const std::vector<std::string>& names, const ir::Graph& graph) {
  std::vector<const ir::Node*> out;
  std::set<const ir::Node*> seen;
  for (const std::string& name : names) {
    const bool glob = name.size() >= 2 && name.front() == '{' && name.back() == '}';
    const LayerRef ref{glob ? name.substr(1, name.size() - 2) : name, glob, {}};
    if (!add_matches(ref, graph, out, seen)) throw Error(ErrorKind::Usage, option + ": " + no_match_message(ref, graph));
  }
  return out;
}

std::vector<const ir::Node*> resolve_option_op_types(const std::string& option, const std::vector<std::string>& op_types, const ir::Graph& graph) {
  std::vector<const ir::Node*> out;
  std::set<std::string> present;
  for (const ir::Node& n : graph.nodes) present.insert(n.op_type);
  for (const std::string& type : op_types)
    if (!present.count(type)) {
      std::string list;
      for (const std::string& t : present) list += (list.empty() ? "" : ", ") + t;
      throw Error(ErrorKind::Usage, option + ": no node of op type '" + shortened(type) + "' in the model as prepared (its op types after opset upgrade and folding: " + list + ")");
    }
  const std::set<std::string> wanted(op_types.begin(), op_types.end());
  for (const ir::Node& n : graph.nodes)
    if (wanted.count(n.op_type)) out.push_back(&n);
  return out;
}

void check_layers(ScriptRules& rules, const ir::Graph& graph, bool ignore_missing) {
  // Keeps the references that match; reports the others. Returns false when none is left.
  auto keep_matching = [&](std::vector<LayerRef>& refs) {
    std::vector<LayerRef> kept;
    for (LayerRef& ref : refs) {
      const std::string at = where(rules, ref.pos) + ":" + std::to_string(ref.pos.col);
      if (ref.glob && ref.pattern.empty()) {
        rules.warnings.push_back(at + ": an empty glob '{}' matches no layer");
      } else if (matches_any(ref, graph)) {
        kept.push_back(std::move(ref));
      } else if (ignore_missing) {
        rules.warnings.push_back(at + ": " + no_match_message(ref, graph) + ": ignored (--ignore-missing-layers)");
      } else {
        fail_at(rules.script, ref.pos, no_match_message(ref, graph), true);
      }
    }
    refs = std::move(kept);
    return !refs.empty();
  };
  std::erase_if(rules.quantization_params, [&](QuantizationParamRule& r) { return !keep_matching(r.layers); });
  std::erase_if(rules.activation_clipping, [&](ClippingRule& r) { return !keep_matching(r.layers); });
  std::erase_if(rules.weights_clipping, [&](ClippingRule& r) { return !keep_matching(r.layers); });
}

}  // namespace quant::script
