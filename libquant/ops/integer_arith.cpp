// Mod and BitShift, element-wise with numpy broadcasting.
//   Mod, fmod = 0 (integers only): the remainder takes the sign of the divisor, as Python's %:
//     r = a % b; if (r != 0 && (r < 0) != (b < 0)) r += b
//   Mod, fmod = 1: C's fmod, the sign of the dividend (floats and integers).
//   BitShift: x << y (direction "LEFT") or x >> y ("RIGHT"), unsigned integers.
#include <cmath>

#include "ops/broadcast.h"
#include "ops/kernels.h"

namespace quant::ops {

Outputs mod_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& a = required_input(inputs, 0, "A");
  const Tensor& b = required_input(inputs, 1, "B");
  if (a.dtype() != b.dtype()) throw Error(ErrorKind::Model, "inputs have different types: " + a.describe() + " and " + b.describe());
  const bool fmod = node.attr_int("fmod", 0) != 0;
  return {visit_numeric(a.dtype(), "Mod", [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      throw Error(ErrorKind::Unsupported, "Mod on bool tensors");
      return Tensor();
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!fmod) throw Error(ErrorKind::Model, "Mod of floats needs fmod = 1");
      return broadcast_binary<T, T>(a, b, [](T x, T y) { return static_cast<T>(std::fmod(x, y)); });
    } else {
      return broadcast_binary<T, T>(a, b, [fmod](T x, T y) -> T {
        if (y == 0) throw Error(ErrorKind::Data, "Mod by zero");
        T r = static_cast<T>(x % y);
        if constexpr (std::is_signed_v<T>)
          if (!fmod && r != 0 && ((r < 0) != (y < 0))) r = static_cast<T>(r + y);
        return r;
      });
    }
  })};
}

Outputs bit_shift_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& a = required_input(inputs, 0, "X");
  const Tensor& b = required_input(inputs, 1, "Y");
  if (a.dtype() != b.dtype()) throw Error(ErrorKind::Model, "inputs have different types: " + a.describe() + " and " + b.describe());
  const bool left = node.attr_string("direction") == "LEFT";
  return {visit_numeric(a.dtype(), "BitShift", [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_unsigned_v<T> && !std::is_same_v<T, bool>) {
      return broadcast_binary<T, T>(a, b, [left](T x, T y) -> T {
        if (y >= sizeof(T) * 8) return 0;
        return static_cast<T>(left ? x << y : x >> y);
      });
    } else {
      throw Error(ErrorKind::Unsupported, "BitShift takes unsigned integers, got " + a.describe());
      return Tensor();
    }
  })};
}

}  // namespace quant::ops
