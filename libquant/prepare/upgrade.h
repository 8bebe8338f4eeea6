// Opset upgrade: brings every node of the default ONNX domain from the model's opset to a target
// (default 13, or the model's own when newer), one form change at a time. Each change of an op's
// form between two opsets is a row of one table (opset_rules.cpp): either "same meaning" (new
// types, or new attributes whose default is the old behaviour) or a small rule that rewrites the
// node (an attribute becoming an input, Softmax's 2-D coercion, Upsample becoming Resize...). An
// op whose form changes with no row is refused, naming the node, the op and the opset.
#pragma once
#include <string>
#include <vector>

#include "ir/graph.h"

namespace quant::prepare {

// The opset quant quantizes at: 13 (per-channel Q/DQ), or the model's own when newer.
int default_target_opset(const ir::Model& model);
// The oldest opset the rules start from.
constexpr int kOldestUpgradableOpset = 7;

struct UpgradeResult {
  int from = 0, to = 0;
  int rewritten = 0;                  // nodes a rule rewrote (compatible changes not counted)
  std::vector<std::string> changes;   // "Softmax-11 -> 13: ..." once per op and change
};

// Throws Unsupported for an opset below kOldestUpgradableOpset, a target above what ONNX's
// schemas describe or below the model's own, and a form change without a rule.
UpgradeResult upgrade_opset(ir::Model& model, int target);

// The table, for `quantize ops` and the docs: op, opset where the form changes, what happens.
struct FormChangeInfo {
  std::string op;
  int at;
  bool rewrites;
  std::string what;
};
std::vector<FormChangeInfo> form_changes();

}  // namespace quant::prepare
