// An Einsum equation read once for the kernel (ops/einsum.cpp) and for preparation's rewrite of
// plain products into MatMul (prepare/einsum_to_matmul.h).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace quant::ops {

// A label: a letter's character code, or kEllipsisLabel + k for the k-th axis of "..." counted
// from the right (operands' "..." runs are right-aligned, so the same k is the same axis).
inline constexpr int kEllipsisLabel = 1000;

// One label per axis of each operand and of the output. Without "->" the output is the "..." axes
// followed by the letters used once, in alphabetical order. Spaces are ignored.
struct EinsumLabels {
  std::vector<std::vector<int>> operands;
  std::vector<int> output;
};

// Throws a Model error naming the equation when it does not fit operands of these ranks.
EinsumLabels parse_einsum(const std::string& equation, const std::vector<int64_t>& ranks);

}  // namespace quant::ops
