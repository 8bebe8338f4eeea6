// Rewrites an Einsum of two operands that is one matrix product per batch into Transpose/Unsqueeze,
// MatMul and Transpose, so that it is quantized as the product it is (both activations, or a
// weight per channel) and ONNX Runtime fuses it into an integer MatMul: attention written with
// torch.einsum ("nqhd,nkhd->nhqk"), a linear layer ("bij,jk->bik"). The labels (ops/einsum.h):
//   batch: in both operands and the output;  K: in both, not in the output (exactly one);
//   M: in the first operand and the output only (at least one; the last is the matrix row, the
//   others lead);  N: likewise for the second operand.
// MatMul's operands are X1 [R..., L..., B..., m, k] and X2 [R..., L..., B..., k, n] (R: the second
// operand's leading labels, L: the first's, each missing from the other operand; an axis of
// size 1 is inserted for a missing label only where a label the operand has lies to its left,
// numpy broadcasting supplies the rest), then one Transpose to the output's order.
// Left as Einsum: other operand counts, a label repeated within an operand (a diagonal), a label
// summed within one operand, no or several contracted labels, operands of unknown rank.
#pragma once
#include "ir/graph.h"

namespace quant::prepare {

// Returns how many Einsum nodes became MatMul.
int einsum_to_matmul(ir::Graph& graph);

}  // namespace quant::prepare
