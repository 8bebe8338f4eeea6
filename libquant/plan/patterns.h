// Multi-node patterns that the plan treats as one unit: a decomposed LayerNormalization
// (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div [, Mul, Add], as torch.onnx writes it below
// opset 17), a GELU written with Erf (Div or Mul by sqrt(2), Erf, Add 1, Mul by x, Mul by 0.5), and
// SiLU/Swish or HardSwish written as x * Sigmoid(x) or x * HardSigmoid(x).
// Fragile units (LayerNorm, GELU: variance, reciprocal square root, Erf) compute in float by
// default, only what enters and leaves them quantized; --full-integer puts their interior at 16
// bits. The others are one activation to an accelerator (a look-up table on x): they run on
// integers and their interior (the Sigmoid's output) is never quantized. Internal to libquant/plan.
#pragma once
#include <string>
#include <vector>

#include "plan/graph_facts.h"

namespace quant::plan {

struct Unit {
  std::string kind;                 // "decomposed LayerNorm", "GELU (Erf)", "SiLU"
  bool fragile = true;
  std::vector<const ir::Node*> nodes;  // in graph order; the last one produces the unit's output
  const ir::Node* last() const { return nodes.back(); }
};

// Every unit of the graph; a node belongs to at most one.
std::vector<Unit> find_units(const GraphFacts& facts);

}  // namespace quant::plan
