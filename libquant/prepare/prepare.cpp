#include "prepare/prepare.h"

#include "onnx/shape_inference.h"
#include "prepare/fold_batch_norm.h"
#include "prepare/einsum_to_matmul.h"
#include "prepare/fold_constants.h"
#include "prepare/inline_if.h"
#include "prepare/remove_identity.h"
#include "prepare/upgrade.h"

namespace quant::prepare {

std::string PrepareReport::summary() const {
  std::string s = from_opset == to_opset ? "opset " + std::to_string(to_opset)
                                         : "opset " + std::to_string(from_opset) + " -> " + std::to_string(to_opset) + " (" +
                                               std::to_string(upgraded_nodes) + " nodes rewritten)";
  s += ", " + std::to_string(constants) + " Constant nodes -> initializers, " + std::to_string(folded) + " constant nodes folded, " +
       std::to_string(shapes_folded) + " static shapes folded, " + std::to_string(identities_removed) + " Identity/Dropout removed, " +
       std::to_string(batch_norms_folded) + " BatchNormalization folded, " + std::to_string(ifs_inlined) + " If inlined, " + std::to_string(einsums_to_matmul) + " Einsum -> MatMul; " + std::to_string(nodes_before) + " -> " +
       std::to_string(nodes_after) + " nodes";
  return s;
}

PrepareReport prepare_model(ir::Model& model, const PrepareOptions& options) {
  PrepareReport report;
  ir::Graph& graph = model.graph;
  report.nodes_before = static_cast<int>(graph.nodes.size());
  onnx_io::infer_shapes(model);

  const UpgradeResult upgrade = upgrade_opset(model, options.target_opset > 0 ? options.target_opset : default_target_opset(model));
  report.from_opset = upgrade.from;
  report.to_opset = upgrade.to;
  report.upgraded_nodes = upgrade.rewritten;
  report.upgrade_changes = upgrade.changes;

  FoldCounts counts;
  fold_constants(graph, counts);
  // Folding can make more shapes static, static shapes fold more, and a constant If condition
  // inlines its branch: repeat until nothing changes.
  for (int round = 0; round < 8; ++round) {
    onnx_io::infer_shapes(model);
    const int before = counts.shapes + counts.folded + report.ifs_inlined;
    fold_static_shapes(graph, counts);
    fold_constants(graph, counts);
    report.ifs_inlined += inline_constant_ifs(graph);
    if (counts.shapes + counts.folded + report.ifs_inlined == before) break;
  }
  // After folding, so that operand ranks are known; a weight operand's Transpose/Unsqueeze folds.
  report.einsums_to_matmul = einsum_to_matmul(graph);
  if (report.einsums_to_matmul) fold_constants(graph, counts);
  report.identities_removed = remove_identities(graph);
  if (options.fold_batch_norm) report.batch_norms_folded = fold_batch_norms(graph);
  report.constants = counts.constants;
  report.folded = counts.folded;
  report.shapes_folded = counts.shapes;
  report.not_folded = counts.too_large;

  ir::prune_unused(graph);
  ir::validate_and_sort(graph);
  report.unshaped = onnx_io::infer_shapes(model);
  report.nodes_after = static_cast<int>(graph.nodes.size());
  return report;
}

}  // namespace quant::prepare
