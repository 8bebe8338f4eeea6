// Resolving a script's layer references against a model: a reference names a node by its ONNX node
// name or by one of its output tensor names; a {glob} (*, ?, [a-z]) matches either. A reference that
// matches nothing is an error at its position, listing the closest layer names.
#pragma once
#include <string>
#include <vector>

#include "ir/graph.h"
#include "script/rules.h"

namespace quant::script {

std::vector<const ir::Node*> resolve_layers(const ScriptRules& rules, const std::vector<LayerRef>& refs, const ir::Graph& graph);

// Checks every layer reference of the rules against the model once, before anything uses them. A
// reference that matches nothing is the error above, or, with `ignore_missing` (--ignore-missing-layers,
// for scripts written for Hailo's own layer names such as conv42), a warning in rules.warnings, and
// the reference is dropped (a rule left with no layers is dropped too). An empty glob `{}` matches
// nothing: always a warning.
void check_layers(ScriptRules& rules, const ir::Graph& graph, bool ignore_missing);

// Layers named on the command line (optimize --keep-float): each a node name, an output tensor name
// or a {glob}, as in a script. One that matches nothing is a usage error naming the option and the
// closest layers.
std::vector<const ir::Node*> resolve_option_layers(const std::string& option, const std::vector<std::string>& names, const ir::Graph& graph);

// The nodes of the given op types (optimize --keep-float-ops MatMul,Gemm), in graph order. A type
// no node has is a usage error naming the option and listing the model's op types.
std::vector<const ir::Node*> resolve_option_op_types(const std::string& option, const std::vector<std::string>& op_types, const ir::Graph& graph);

}  // namespace quant::script
