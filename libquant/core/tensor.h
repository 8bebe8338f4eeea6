// A dense tensor: element type, shape and a shared byte buffer. Copies share the buffer (cheap);
// kernels write only to tensors they have just made.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/shape.h"

namespace quant {

// How a tensor's elements lie in memory. The shape is always the logical ONNX shape
// ([N, C, spatial...] for images); ChannelsLast stores them as [N, spatial..., C] (NHWC), the layout
// oneDNN's convolutions run fastest on; ChannelBlocks8 as [N, C/8, spatial..., 8] (oneDNN's
// nChw8c, ONNX Runtime's NCHWc on AVX2), for C a multiple of 8, the layout oneDNN's AVX2
// depthwise and 1x1 convolutions run fastest on (docs/performance.md). Only kernels that declare a
// layout in the op table see it.
enum class Layout { Plain, ChannelsLast, ChannelBlocks8 };

// Whether a new tensor's elements start as zeros, or are left for the caller to overwrite
// (kernels that write every element skip the zero fill).
enum class Init { Zero, Uninitialized };

class Tensor {
 public:
  Tensor() = default;
  // A tensor of the given type and shape; its buffer is 64-byte aligned (one AVX-512 vector).
  Tensor(DType dtype, Shape shape, Init init = Init::Zero, Layout layout = Layout::Plain);

  template <typename T>
  static Tensor from_vector(Shape shape, const std::vector<T>& values) {
    Tensor t(DTypeOf<T>::value, std::move(shape));
    if (static_cast<int64_t>(values.size()) != t.numel())
      throw Error(ErrorKind::Internal, "from_vector: value count does not match shape");
    std::copy(values.begin(), values.end(), t.data<T>());
    return t;
  }
  template <typename T>
  static Tensor scalar(T value) { return from_vector<T>({}, {value}); }

  DType dtype() const { return dtype_; }
  Layout layout() const { return layout_; }
  // The same elements in another layout (a copy, or this tensor when already in it).
  Tensor to_layout(Layout layout) const;
  Tensor to_plain() const { return to_layout(Layout::Plain); }
  const Shape& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t axis) const { return shape_[static_cast<size_t>(normalize_axis(axis, rank()))]; }
  int64_t numel() const { return shape_numel(shape_); }
  size_t nbytes() const { return nbytes_; }
  bool empty() const { return !bytes_; }

  template <typename T> T* data() { check_type(DTypeOf<T>::value); return reinterpret_cast<T*>(raw()); }
  template <typename T> const T* data() const { check_type(DTypeOf<T>::value); return reinterpret_cast<const T*>(raw()); }
  template <typename T> std::span<const T> values() const { return {data<T>(), static_cast<size_t>(numel())}; }
  uint8_t* raw() { return bytes_.get(); }
  const uint8_t* raw() const { return bytes_.get(); }

  // The same data seen with another shape of the same element count (shares the buffer).
  Tensor reshaped(Shape shape) const;
  // The same bytes (shared) seen with another shape and layout of the same element count, for a
  // kernel that knows both describe one memory order: a plain [M, K] matrix is the channels-last
  // [1, K, M, 1] image whose M pixels have K channels each.
  Tensor viewed_as(Shape shape, Layout layout) const;
  // A deep copy with its own buffer.
  Tensor clone() const;

  // Reads element i (flat index) of any numeric type as double / as int64.
  double value_as_double(int64_t i) const;
  int64_t value_as_int64(int64_t i) const;
  // All elements as int64 (for shape-like inputs: axes, pads, sizes). Throws Data if not integer.
  std::vector<int64_t> to_int64_vector() const;
  std::vector<float> to_float_vector() const;

  std::string describe() const;  // "float32[1, 3, 224, 224]"

 private:
  void check_type(DType expected) const;
  DType dtype_ = DType::Undefined;
  Layout layout_ = Layout::Plain;
  Shape shape_;
  size_t nbytes_ = 0;
  std::shared_ptr<uint8_t> bytes_;
};

// Element-wise conversion with the rules of ONNX Cast (float -> int truncates toward zero,
// float -> float16/bfloat16 rounds to nearest even, -> bool is != 0).
Tensor cast_tensor(const Tensor& input, DType to);

}  // namespace quant
