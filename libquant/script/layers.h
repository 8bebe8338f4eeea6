// Resolving a script's layer references against a model: a reference names a node by its ONNX node
// name or by one of its output tensor names; a {glob} (*, ?, [a-z]) matches either. A reference that
// matches nothing is an error at its position, listing the closest layer names.
#pragma once
#include <vector>

#include "ir/graph.h"
#include "script/rules.h"

namespace quant::script {

std::vector<const ir::Node*> resolve_layers(const ScriptRules& rules, const std::vector<LayerRef>& refs, const ir::Graph& graph);

}  // namespace quant::script
