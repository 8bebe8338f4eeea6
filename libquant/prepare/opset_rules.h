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

// What a rule may use: the graph being edited (new nodes and initializers go through it), the
// target opset of nodes it adds, and what is known of a value's type and shape.
struct RuleContext {
  GraphEdit& edit;
  int target = 13;
  // The declared dims of a value (graph input, initializer, or inferred value info); false when
  // unknown. Unknown dims inside a known rank are -1.
  bool dims_of(const std::string& value, std::vector<int64_t>& dims) const;
  DType dtype_of(const std::string& value) const;  // Undefined when unknown
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
