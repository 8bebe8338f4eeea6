// Tensors whose calibration statistics are another tensor's, taken without observing them.
//
// An op that only rearranges its input (OpFacts::same_values: Reshape, Flatten, Squeeze,
// Unsqueeze, Transpose, DepthToSpace, SpaceToDepth, Identity) gives an output holding exactly the
// values of its input 0, sample by sample: the same min, max, count and histograms, bit for bit
// (in a stacked group too: calibration stacks only when every tensor holds its samples' values in turns).
// Observing it would count every value again; a transformer reshapes and transposes its
// queries, keys and values in every layer.
#pragma once
#include <map>
#include <set>
#include <string>

#include "ir/graph.h"

namespace quant::calib {

// Rearranged tensor -> the observed tensor its values come from (chains followed to their start).
// Sources are only what calibration observes: graph inputs and node outputs of the main graph,
// neither constants nor `unobserved` tensors.
std::map<std::string, std::string> value_copies(const ir::Graph& graph, const std::set<std::string>& unobserved);

}  // namespace quant::calib
