#include "script/layers.h"

#include <fnmatch.h>

#include <algorithm>
#include <set>

namespace quant::script {
namespace {

size_t distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

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
    for (const ir::Node& n : graph.nodes) scored.push_back({distance(ref.pattern, n.name), n.name});
    std::sort(scored.begin(), scored.end());
    std::string close;
    for (size_t i = 0; i < scored.size() && i < 5; ++i) close += (i ? ", " : "") + scored[i].second;
    const std::string shown = ref.glob ? "{" + ref.pattern + "}" : ref.pattern;
    fail_at(rules.script, ref.pos, "no layer matches '" + shown + "' (closest layers: " + close + "; see 'quantize parse-model --layers')", true);
  }
  return out;
}

}  // namespace quant::script
