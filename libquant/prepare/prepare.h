// Model preparation: what every model goes through between loading and calibration, so that the
// later stages see one canonical form whatever the exporter wrote:
//   1. shape inference on the model as loaded (the upgrade rules read ranks from it);
//   2. opset upgrade to the target opset (upgrade.h);
//   3. constant folding: Constant nodes become initializers, constant subgraphs are computed once,
//      Shape/Size of static shapes become constants (fold_constants.h), and an If whose condition
//      is then constant is replaced by its branch (inline_if.h);
//   4. an Einsum that is one matrix product per batch becomes MatMul (einsum_to_matmul.h), then
//      Identity and inference Dropout are removed (remove_identity.h);
//   5. BatchNormalization after Conv/ConvTranspose/Gemm folded into the weights (fold_batch_norm.h);
//   6. unused nodes and initializers dropped, shape inference again: every tensor gets a type and
//      shape (symbolic dims such as a batch "N" stay symbolic).
// It knows nothing of calibration or quantization.
#pragma once
#include <string>
#include <vector>

#include "ir/graph.h"

namespace quant::prepare {

struct PrepareOptions {
  int target_opset = 0;          // 0: default_target_opset(model)
  bool fold_batch_norm = true;
};

struct PrepareReport {
  int from_opset = 0, to_opset = 0;
  int upgraded_nodes = 0;
  std::vector<std::string> upgrade_changes;  // one line per op form change applied
  int constants = 0, folded = 0, shapes_folded = 0;
  int identities_removed = 0, batch_norms_folded = 0, ifs_inlined = 0, einsums_to_matmul = 0;
  int nodes_before = 0, nodes_after = 0;
  std::vector<std::string> unshaped;  // tensors shape inference could not shape
  std::vector<std::string> not_folded;  // constant nodes left to run: their result is over 4 MiB and more than twice their inputs
  // One line for the log: "opset 9 -> 13 (4 nodes rewritten), 12 Constant nodes -> initializers, ..."
  std::string summary() const;
};

PrepareReport prepare_model(ir::Model& model, const PrepareOptions& options = {});

}  // namespace quant::prepare
