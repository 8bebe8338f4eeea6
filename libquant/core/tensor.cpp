#include "core/tensor.h"

#include "core/memory_limit.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

namespace quant {

namespace {
constexpr size_t kAlignment = 64;

// Every buffer is counted against the tensor memory limit from here to its release.
std::shared_ptr<uint8_t> allocate(size_t bytes, Init init, DType dtype, const Shape& shape) {
  const size_t rounded = std::max<size_t>(kAlignment, (bytes + kAlignment - 1) / kAlignment * kAlignment);
  reserve_tensor_memory(rounded, dtype, shape);
  auto* p = static_cast<uint8_t*>(std::aligned_alloc(kAlignment, rounded));
  if (!p) {
    release_tensor_memory(rounded);
    throw std::bad_alloc();
  }
  if (init == Init::Zero) std::memset(p, 0, bytes);
  return std::shared_ptr<uint8_t>(p, [rounded](uint8_t* q) {
    std::free(q);
    release_tensor_memory(rounded);
  });
}
}  // namespace

Tensor::Tensor(DType dtype, Shape shape, Init init, Layout layout) : dtype_(dtype), layout_(layout), shape_(std::move(shape)) {
  if (layout_ != Layout::Plain && shape_.size() < 3)
    throw Error(ErrorKind::Internal, "a channels-last or channel-blocked tensor needs rank >= 3, got " + shape_to_string(shape_));
  if (layout_ == Layout::ChannelBlocks8 && shape_[1] % 8 != 0)
    throw Error(ErrorKind::Internal, "a tensor in blocks of 8 channels needs a multiple of 8 channels, got " + shape_to_string(shape_));
  for (int64_t d : shape_)
    if (d < 0) throw Error(ErrorKind::Data, "negative dimension in shape " + shape_to_string(shape_));
  const size_t elem = dtype_size(dtype);
  if (elem == 0) throw Error(ErrorKind::Unsupported, std::string("tensors of type ") + dtype_name(dtype) + " are not supported");
  const int64_t bytes = checked_byte_size(shape_, static_cast<int64_t>(elem));
  if (bytes < 0) throw Error(ErrorKind::Data, "shape " + shape_to_string(shape_) + " holds more bytes than 64 bits count");
  nbytes_ = static_cast<size_t>(bytes);
  bytes_ = allocate(nbytes_, init, dtype_, shape_);
}

void Tensor::check_type(DType expected) const {
  if (dtype_ != expected)
    throw Error(ErrorKind::Internal, std::string("tensor of type ") + dtype_name(dtype_) + " read as " +
                                         dtype_name(expected));
}

namespace {

// Copies each image's [rows, cols] block of elements to [cols, rows] (a transpose per image).
void transpose_images(const uint8_t* src, uint8_t* dst, int64_t images, int64_t rows, int64_t cols, size_t elem, bool parallel) {
#pragma omp parallel for collapse(2) if (parallel)
  for (int64_t b = 0; b < images; ++b)
    for (int64_t r = 0; r < rows; ++r) {
      const uint8_t* s = src + static_cast<size_t>((b * rows + r) * cols) * elem;
      uint8_t* d = dst + static_cast<size_t>(b * rows * cols + r) * elem;
      if (elem == 4) {
        const auto* s4 = reinterpret_cast<const uint32_t*>(s);
        auto* d4 = reinterpret_cast<uint32_t*>(d);
        for (int64_t k = 0; k < cols; ++k) d4[k * rows] = s4[k];
      } else {
        for (int64_t k = 0; k < cols; ++k) std::memcpy(d + static_cast<size_t>(k * rows) * elem, s + static_cast<size_t>(k) * elem, elem);
      }
    }
}

}  // namespace

Tensor Tensor::to_layout(Layout layout) const {
  if (layout == layout_ || shape_.size() < 3) return *this;
  // Between channels-last and blocks of 8 through plain: both are transposes of plain's images.
  if (layout_ != Layout::Plain && layout != Layout::Plain) return to_plain().to_layout(layout);
  // With S = the product of the spatial dims, plain is [N, C, S], channels-last [N, S, C] (a
  // transpose of each image's [C, S]) and blocks of 8 [N, C/8, S, 8] (a transpose of each block's
  // [8, S]).
  const int64_t n = shape_[0], c = shape_[1], s = numel() / std::max<int64_t>(n * c, 1);
  Tensor out(dtype_, shape_, Init::Uninitialized, layout);
  const bool blocks = layout == Layout::ChannelBlocks8 || layout_ == Layout::ChannelBlocks8;
  const int64_t images = blocks ? n * c / 8 : n, channels = blocks ? 8 : c;
  const bool to_plain = layout == Layout::Plain;
  transpose_images(raw(), out.raw(), images, to_plain ? s : channels, to_plain ? channels : s, dtype_size(dtype_), numel() > (1 << 16));
  return out;
}

Tensor Tensor::reshaped(Shape shape) const {
  if (layout_ != Layout::Plain) throw Error(ErrorKind::Internal, "reshaped() on a tensor not in plain layout");
  if (shape_numel(shape) != numel())
    throw Error(ErrorKind::Data, "cannot reshape " + describe() + " to " + shape_to_string(shape));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::viewed_as(Shape shape, Layout layout) const {
  if (shape_numel(shape) != numel())
    throw Error(ErrorKind::Internal, "viewed_as: " + describe() + " cannot be seen as " + shape_to_string(shape));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  t.layout_ = layout;
  return t;
}

Tensor Tensor::clone() const {
  Tensor t = *this;
  if (bytes_) {
    t.bytes_ = allocate(nbytes_, Init::Uninitialized, dtype_, shape_);
    std::memcpy(t.bytes_.get(), bytes_.get(), nbytes_);
  }
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
  // The type visited once, not per element (the recurrent ops read their weights this way each run).
  return visit_any_number(dtype_, "to_float_vector", [&](auto tag) {
    using T = decltype(tag);
    const T* v = reinterpret_cast<const T*>(raw());
    std::vector<float> out(static_cast<size_t>(numel()));
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(static_cast<double>(v[i]));
    return out;
  });
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
  Tensor out(to, input.shape(), Init::Uninitialized, input.layout());
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
