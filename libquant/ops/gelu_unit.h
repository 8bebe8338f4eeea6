// GELU as torch.onnx writes it below opset 20, five element-wise nodes over an MLP's hidden layer:
//   d = x / s,  e = erf(d),  a = e + one,  m = x * a,  y = m * half      (s = sqrt 2, one, half)
// (each Add/Mul's operands in either order). The interpreter runs the five as one pass over x when
// nothing observes d, e, a or m: the same IEEE operations in the same order and with the same
// operands, each rounded to float as its kernel rounds it, and the Erf kernel's own erf, so y has
// the bits of the five kernels' result (a unit test compares them). ONNX Runtime fuses the same
// chain (its Gelu/BiasGelu).
#pragma once
#include <array>
#include <functional>
#include <optional>
#include <string>

#include "ir/graph.h"
#include "ops/kernel.h"

namespace quant::ops {

struct GeluUnit {
  // div, erf, add, mul, and the last mul, in graph order of the chain.
  std::array<const ir::Node*, 5> nodes{};
  std::string x;                       // the value GELU is taken of
  std::array<std::string, 4> interior;  // d, e, a, m: what must go unobserved for the pass to run
  float s = 0, one = 0, half = 0;
  // Operand order as the nodes have it: e first in the Add, x first in the first Mul, m first in
  // the last (a NaN's payload follows the first operand).
  bool e_first = true, x_first = true, m_first = true;
  const ir::Node& last() const { return *nodes[4]; }
};

// The unit starting at `div`, a Div node, if the chain is there: every interior value read by the
// next node alone and no graph output, the three constants float scalars (`constant` finds a
// value's fixed tensor, or null), and `only_reader` says which node alone reads a value.
std::optional<GeluUnit> match_gelu(const ir::Node& div, const std::function<const Tensor*(const std::string&)>& constant,
                                   const std::function<const ir::Node*(const std::string&)>& only_reader);

// y of the unit for float32 x (the caller runs the nodes one by one otherwise), plain, computed as
// the five kernels would (`reference`: the Erf kernel's reference path, erf in double).
Tensor run_gelu_unit(const GeluUnit& unit, const Tensor& x, bool reference);

}  // namespace quant::ops
