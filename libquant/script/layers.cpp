#include "script/layers.h"

#include <fnmatch.h>

#include <algorithm>
#include <set>

namespace quant::script {
namespace {

bool matches(const LayerRef& ref, const std::string& name) {
  return ref.glob ? fnmatch(ref.pattern.c_str(), name.c_str(), 0) == 0 : ref.pattern == name;
}

}  // namespace

std::vector<const ir::Node*> resolve_layers(const ScriptRules& rules, const std::vector<LayerRef>& refs, const ir::Graph& graph) {
  std::vector<const ir::Node*> out;
  std::set<const ir::Node*> seen;
  for (const LayerRef& ref : refs) {
    bool any = false;
    for (const ir::Node& n : graph.nodes) {
      bool hit = matches(ref, n.name);
      for (const std::string& o : n.outputs) hit = hit || matches(ref, o);
      if (!hit) continue;
      any = true;
      if (seen.insert(&n).second) out.push_back(&n);
    }
    if (any) continue;
    // The closest names, to catch typos and Hailo-style names (conv1) meant as ONNX ones (/c1/Conv).
    std::vector<std::pair<size_t, std::string>> scored;
    const std::string pattern = shortened(ref.pattern);  // a hostile 1 MB name must not cost 1 MB x every node
    for (const ir::Node& n : graph.nodes) scored.push_back({edit_distance(pattern, n.name), n.name});
    std::sort(scored.begin(), scored.end());
    std::string close;
    for (size_t i = 0; i < scored.size() && i < 5; ++i) close += (i ? ", " : "") + scored[i].second;
    const std::string shown = ref.glob ? "{" + pattern + "}" : pattern;
    fail_at(rules.script, ref.pos, "no layer matches '" + shown + "' (closest layers: " + close + "; see 'quantize parse-model --layers')", true);
  }
  return out;
}

}  // namespace quant::script
