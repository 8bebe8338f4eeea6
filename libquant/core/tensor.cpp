#include "core/tensor.h"

#include <cmath>
#include <cstring>

namespace quant {

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  for (int64_t d : shape_)
    if (d < 0) throw Error(ErrorKind::Data, "negative dimension in shape " + shape_to_string(shape_));
  const size_t elem = dtype_size(dtype);
  if (elem == 0) throw Error(ErrorKind::Unsupported, std::string("tensors of type ") + dtype_name(dtype) + " are not supported");
  bytes_ = std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(shape_numel(shape_)) * elem);
}

void Tensor::check_type(DType expected) const {
  if (dtype_ != expected)
    throw Error(ErrorKind::Internal, std::string("tensor of type ") + dtype_name(dtype_) + " read as " +
                                         dtype_name(expected));
}

Tensor Tensor::reshaped(Shape shape) const {
  if (shape_numel(shape) != numel())
    throw Error(ErrorKind::Data, "cannot reshape " + describe() + " to " + shape_to_string(shape));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::clone() const {
  Tensor t = *this;
  if (bytes_) t.bytes_ = std::make_shared<std::vector<uint8_t>>(*bytes_);
  return t;
}

double Tensor::value_as_double(int64_t i) const {
  return visit_any_number(dtype_, "value_as_double", [&](auto tag) -> double {
    using T = decltype(tag);
    return static_cast<double>(reinterpret_cast<const T*>(raw())[i]);
  });
}

int64_t Tensor::value_as_int64(int64_t i) const {
  return visit_numeric(dtype_, "value_as_int64", [&](auto tag) -> int64_t {
    using T = decltype(tag);
    return static_cast<int64_t>(reinterpret_cast<const T*>(raw())[i]);
  });
}

std::vector<int64_t> Tensor::to_int64_vector() const {
  if (!dtype_is_integer(dtype_))
    throw Error(ErrorKind::Data, "expected an integer tensor, got " + describe());
  std::vector<int64_t> out(static_cast<size_t>(numel()));
  for (int64_t i = 0; i < numel(); ++i) out[static_cast<size_t>(i)] = value_as_int64(i);
  return out;
}

std::vector<float> Tensor::to_float_vector() const {
  std::vector<float> out(static_cast<size_t>(numel()));
  for (int64_t i = 0; i < numel(); ++i) out[static_cast<size_t>(i)] = static_cast<float>(value_as_double(i));
  return out;
}

std::string Tensor::describe() const { return std::string(dtype_name(dtype_)) + shape_to_string(shape_); }

namespace {
template <typename To, typename From>
To convert_element(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return static_cast<float>(v) != 0.0f;
  } else if constexpr (std::is_same_v<To, Half> || std::is_same_v<To, BFloat16>) {
    return To(static_cast<float>(v));
  } else if constexpr (std::is_same_v<From, Half> || std::is_same_v<From, BFloat16>) {
    return static_cast<To>(static_cast<float>(v));
  } else {
    return static_cast<To>(v);
  }
}
}  // namespace

Tensor cast_tensor(const Tensor& input, DType to) {
  if (input.dtype() == to) return input;
  Tensor out(to, input.shape());
  visit_any_number(input.dtype(), "Cast", [&](auto from_tag) {
    using From = decltype(from_tag);
    visit_any_number(to, "Cast", [&](auto to_tag) {
      using To = decltype(to_tag);
      const From* src = reinterpret_cast<const From*>(input.raw());
      To* dst = reinterpret_cast<To*>(out.raw());
      for (int64_t i = 0; i < input.numel(); ++i) dst[i] = convert_element<To>(src[i]);
    });
  });
  return out;
}

}  // namespace quant
