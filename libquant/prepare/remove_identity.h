// Removes the nodes that do nothing at inference: Identity, and Dropout (its output equals its
// input when not training). Their readers read the input directly. A node stays when its output is
// a graph output fed by a graph input or initializer (nothing else could produce that name), and a
// Dropout stays when its mask output is read.
#pragma once
#include "ir/graph.h"

namespace quant::prepare {

// Returns how many nodes were removed. Throws Unsupported for a Dropout in training mode (its
// training_mode input a constant true).
int remove_identities(ir::Graph& graph);

}  // namespace quant::prepare
