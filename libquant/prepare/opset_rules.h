// The table of op form changes between opsets and the rules that rewrite old forms (internal to
// libquant/prepare; upgrade.cpp walks it).
#pragma once
#include <string>
#include <span>
#include <string_view>
#include <vector>

#include "ir/graph.h"
#include "prepare/graph_edit.h"

namespace quant::prepare {

// What a rule may use: the graph being edited (new nodes and initializers go through it; what is
// known of a value's type and shape: Graph::known_dims/known_dtype) and the target opset of nodes
// it adds.
struct RuleContext {
  GraphEdit& edit;
  int target = 13;
};

// Rewrites one node from the form before `at` to the form at `at`. May change its op type.
using UpgradeRule = void (*)(ir::Node& node, RuleContext& ctx);

struct FormChange {
  std::string_view op;
  int at;              // the opset whose schema has the new form
  UpgradeRule rule;    // nullptr: same meaning, nothing to rewrite
  std::string_view what;
};

// nullptr when the table has no row for this change.
const FormChange* find_form_change(std::string_view op, int at);
std::span<const FormChange> all_form_changes();

}  // namespace quant::prepare
