// What every op kernel sees. A kernel is one free function: it reads its node's attributes and its
// input tensors, validates them (throwing quant::Error, to which the interpreter adds the node name),
// and returns freshly made output tensors.
#pragma once
#include <string>
#include <vector>

#include "core/tensor.h"
#include "ir/graph.h"

namespace quant::ops {

// Omitted optional inputs are nullptr.
using Inputs = std::vector<const Tensor*>;
using Outputs = std::vector<Tensor>;

struct KernelConfig {
  bool reference = false;  // plain nested-loop paths only (tests compare the fast paths with these)
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

}  // namespace quant::ops
