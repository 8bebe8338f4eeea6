#include "ops/integer_requant.h"

#include "core/error.h"
#include "ops/kernel.h"
#include "ops/layout.h"
#include "qmath/qparams.h"

namespace quant::ops {

Requantizer read_requantizer(const ir::Node& node, int64_t channels) {
  const std::vector<int64_t> m0 = node.attr_ints("multiplier"), shift = node.attr_ints("shift");
  if (m0.empty() || m0.size() != shift.size() || (m0.size() != 1 && static_cast<int64_t>(m0.size()) != channels))
    throw Error(ErrorKind::Model, "multiplier and shift must have 1 or " + std::to_string(channels) + " values, got " +
                                      std::to_string(m0.size()) + " and " + std::to_string(shift.size()));
  Requantizer r;
  for (size_t i = 0; i < m0.size(); ++i) {
    if (m0[i] < (int64_t{1} << 30) || m0[i] >= (int64_t{1} << 31) || shift[i] < -30 || shift[i] > 62)
      throw Error(ErrorKind::Model, "multiplier " + std::to_string(m0[i]) + " * 2^-" + std::to_string(shift[i]) +
                                        " is not a Q31 value in [0.5, 1) with a shift in [-30, 62]");
    r.multipliers.push_back({static_cast<int32_t>(m0[i]), static_cast<int>(shift[i])});
  }
  r.zero_point = node.attr_int("y_zero_point");
  r.min = node.attr_int("y_min");
  r.max = node.attr_int("y_max");
  r.dtype = dtype_from_onnx(static_cast<int>(node.attr_int("y_type")));
  const int64_t bits = node.attr_int("accumulator_bits");
  if (bits != 32 && bits != 64) throw Error(ErrorKind::Model, "accumulator_bits must be 32 or 64, got " + std::to_string(bits));
  r.wide = bits == 64;
  const qmath::QRange t = qmath::qrange(r.dtype);
  if (r.min < t.qmin || r.max > t.qmax || r.min > r.max || r.zero_point < t.qmin || r.zero_point > t.qmax)
    throw Error(ErrorKind::Model, "y_min/y_max/y_zero_point do not fit " + std::string(dtype_name(r.dtype)));
  return r;
}

void check_accumulator(bool overflowed) {
  if (overflowed) throw Error(ErrorKind::Model, "a sum left the node's int32 accumulator (accumulator_bits 32 is too narrow for its weights)");
}

void require_small_integer(const Tensor& t, const char* what) {
  const DType d = t.dtype();
  if (d != DType::UInt8 && d != DType::Int8 && d != DType::UInt16 && d != DType::Int16)
    throw Error(ErrorKind::Data, std::string(what) + " must be an 8- or 16-bit integer tensor, got " + t.describe());
}

std::vector<int32_t> centered_values(const Tensor& q, const std::vector<int64_t>& zero_points, int64_t axis) {
  std::vector<int32_t> out(static_cast<size_t>(q.numel()));
  AxisView view{1, 1, 1};
  if (zero_points.size() > 1) {
    view = axis_view(q.shape(), normalize_axis(axis, q.rank()));
    if (view.length != static_cast<int64_t>(zero_points.size()))
      throw Error(ErrorKind::Data, std::to_string(zero_points.size()) + " zero points for axis " + std::to_string(axis) +
                                       " of " + q.describe());
  }
  visit_numeric(q.dtype(), "integer kernel input", [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_integral_v<T> && sizeof(T) <= 2) {
      const T* p = q.data<T>();
      for (int64_t i = 0; i < q.numel(); ++i) {
        const size_t c = zero_points.size() > 1 ? static_cast<size_t>((i / view.inner) % view.length) : 0;
        out[static_cast<size_t>(i)] = static_cast<int32_t>(p[i] - zero_points[c]);
      }
    } else {
      throw Error(ErrorKind::Data, "expected an 8- or 16-bit integer tensor, got " + q.describe());
    }
  });
  return out;
}

Tensor integer_tensor(DType dtype, Shape shape, const std::vector<int32_t>& values) {
  Tensor y(dtype, std::move(shape), Init::Uninitialized);
  visit_numeric(dtype, "integer kernel output", [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_integral_v<T> && sizeof(T) <= 2) {
      T* p = y.data<T>();
      for (size_t i = 0; i < values.size(); ++i) p[i] = static_cast<T>(values[i]);
    } else {
      throw Error(ErrorKind::Model, std::string("y_type must be an 8- or 16-bit integer type, got ") + dtype_name(dtype));
    }
  });
  return y;
}

}  // namespace quant::ops
