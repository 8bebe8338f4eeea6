// What every op kernel sees. A kernel is one free function: it reads its node's attributes and its
// input tensors, validates them (throwing quant::Error, to which the interpreter adds the node name),
// and returns freshly made output tensors.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "ir/graph.h"

namespace quant::ops {

// Omitted optional inputs are nullptr.
using Inputs = std::vector<const Tensor*>;
using Outputs = std::vector<Tensor>;

// A clamp fused into a kernel's output, y = min(max(y, lo), hi): the interpreter folds a Relu
// (lo = 0) or a Clip with constant bounds that is the sole reader of the output into the producing
// op when the op table says the op takes one (OpEntry::fuses_clamp), so the result is written once.
struct FusedClamp {
  bool active = false;
  float lo = 0, hi = 0;
};

// The clamp a Relu, or a Clip whose bounds are absent or constant (`constant` finds an input's
// value when it is fixed for every run, else returns nullptr), is; nullopt for any other node.
std::optional<FusedClamp> clamp_of(const ir::Node& node, const std::function<const Tensor*(const std::string&)>& constant);

class NodeCache;  // ops/node_cache.h

struct KernelConfig {
  bool reference = false;  // plain nested-loop paths only (tests compare the fast paths with these)
  // Set per node by the interpreter:
  FusedClamp clamp;               // only ever active for ops whose entry has fuses_clamp
  NodeCache* cache = nullptr;     // state a kernel keeps across runs of its node (oneDNN primitives, reordered weights); may be null
  uint64_t constant_inputs = 0;   // bit i: input i is a graph initializer, the same tensor on every run
  // Write the result in blocks of 8 channels (Layout::ChannelBlocks8) where the kernel can: every
  // reader of it takes that layout as it is (Interpreter::plan_channel_blocks).
  bool channel_blocks_out = false;
  bool input_is_constant(size_t i) const { return i < 64 && ((constant_inputs >> i) & 1) != 0; }
};

using KernelFn = Outputs (*)(const ir::Node& node, const Inputs& inputs, const KernelConfig& config);

// Input i, which must be present.
const Tensor& required_input(const Inputs& inputs, size_t i, const char* what);
// Input i, or nullptr when omitted.
inline const Tensor* optional_input(const Inputs& inputs, size_t i) { return i < inputs.size() ? inputs[i] : nullptr; }
// Throws Unsupported unless t is float32.
void require_float(const Tensor& t, const char* what);
// Throws Data unless t has the given rank.
void require_rank(const Tensor& t, int64_t rank, const char* what);
// Input i, present, float32 and of the given rank (the three checks above), in plain layout.
Tensor float_input(const Inputs& inputs, size_t i, const char* what, int64_t rank);
// Applies config.clamp to a float32 result in place (for kernel paths that cannot fuse it).
void apply_clamp(Tensor& y, const FusedClamp& clamp);

}  // namespace quant::ops
