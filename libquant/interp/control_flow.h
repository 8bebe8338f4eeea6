// The ops whose attributes are graphs, run by the interpreter on interpreters of their subgraphs
// (a kernel cannot: a subgraph reads values of the graphs around it by name):
//   If (opsets 1-16): runs then_branch or else_branch by its one-element condition; the branch's
//     outputs are the node's.
//   Loop (opsets 1-16, tensors only): carries N values through `body` while the trip count M (an
//     int64, absent: no limit) is not reached and, when the node has a condition input, the body's
//     condition output stays true. The body reads (iteration number, condition, the N values) and
//     writes (condition, the N values, K scan outputs); the node's outputs are the N final values
//     and the K scan outputs stacked along a new first axis (a body output's declared shape gives
//     the stack's shape when no iteration ran). A Loop with neither input, which ONNX defines as
//     endless, is refused rather than run.
//   Scan (opsets 9-16): slices M scan inputs along their scan_input_axes (first to last, or last
//     to first where scan_input_directions is 1) and runs `body` once per slice on (N states, the
//     M slices), which writes (N states, K scan outputs); the node's outputs are the final states
//     and the K outputs stacked along scan_output_axes (reversed where scan_output_directions is 1).
#pragma once
#include <memory>

#include "interp/interpreter.h"

namespace quant::interp {

struct Subgraphs {
  std::shared_ptr<const Interpreter> then_branch, else_branch, body;
};

// The interpreters of the node's graphs, or all null when it is no control-flow op.
Subgraphs make_subgraphs(const ir::Node& node, const ops::KernelConfig& config);

ops::Outputs run_control_flow(const ir::Node& node, const ops::Inputs& inputs, const Subgraphs& graphs,
                              const Interpreter::OuterScope& outer);

}  // namespace quant::interp
