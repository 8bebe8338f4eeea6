#include "core/tensor.h"

#include "core/cpu_features.h"
#include "core/memory_limit.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

// One element of `elem` bytes (a constant size for each case, so each copy is one move).
inline void copy_element(uint8_t* d, const uint8_t* s, size_t elem) {
  switch (elem) {
    case 1: *d = *s; return;
    case 2: std::memcpy(d, s, 2); return;
    case 4: std::memcpy(d, s, 4); return;
    case 8: std::memcpy(d, s, 8); return;
    default: std::memcpy(d, s, elem);
  }
}

// Transposes one 8 x 8 tile of 4-byte elements: row r of `src` (rows `src_stride` apart) becomes
// column r of `dst`. Unpacks pair rows 0/1, 2/3 ... element by element, shuffles gather four rows'
// element k in each 128-bit half, and the half swaps join rows 0-3 and 4-7. Only moves bits (a NaN's
// payload stays), so it serves any 4-byte type.
#if defined(__x86_64__)
__attribute__((target("avx2"))) void transpose_tile8_avx2(const uint8_t* src, int64_t src_stride, uint8_t* dst, int64_t dst_stride) {
  const auto* s = reinterpret_cast<const float*>(src);
  auto* d = reinterpret_cast<float*>(dst);
  __m256 r[8], t[8], u[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(s + i * src_stride);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);      // a0 b0 a1 b1 | a4 b4 a5 b5
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);  // a2 b2 a3 b3 | a6 b6 a7 b7
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);      // a0 b0 c0 d0 | a4 b4 c4 d4
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);  // a1 b1 c1 d1 | a5 b5 c5 d5
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int k = 0; k < 4; ++k) {
    _mm256_storeu_ps(d + k * dst_stride, _mm256_permute2f128_ps(u[k], u[k + 4], 0x20));
    _mm256_storeu_ps(d + (k + 4) * dst_stride, _mm256_permute2f128_ps(u[k], u[k + 4], 0x31));
  }
}
#endif

// Copies each image's [rows, cols] block of elements to [cols, rows] (a transpose per image), in
// blocks of 8 rows: with 4-byte elements and AVX2 a block goes in 8 x 8 tiles, each read and written
// in whole rows of 8 (element by element, every element was written a row apart); the rest, and
// the edges, element by element.
void transpose_images(const uint8_t* src, uint8_t* dst, int64_t images, int64_t rows, int64_t cols, size_t elem, bool parallel) {
#if defined(__x86_64__)
  const bool tiles = elem == 4 && cpu_has_avx2();
#endif
  const int64_t blocks = (rows + 7) / 8;
#pragma omp parallel for collapse(2) if (parallel)
  for (int64_t b = 0; b < images; ++b)
    for (int64_t block = 0; block < blocks; ++block) {
      const int64_t r = block * 8, r_end = std::min(r + 8, rows);
      const uint8_t* s = src + static_cast<size_t>(b * rows * cols) * elem;
      uint8_t* d = dst + static_cast<size_t>(b * rows * cols) * elem;
      int64_t k0 = 0;  // the columns done in tiles
#if defined(__x86_64__)
      if (tiles && r_end - r == 8)
        for (; k0 + 8 <= cols; k0 += 8) transpose_tile8_avx2(s + static_cast<size_t>(r * cols + k0) * 4, cols, d + static_cast<size_t>(k0 * rows + r) * 4, rows);
#endif
      for (int64_t i = r; i < r_end; ++i)
        for (int64_t k = k0; k < cols; ++k) copy_element(d + static_cast<size_t>(k * rows + i) * elem, s + static_cast<size_t>(i * cols + k) * elem, elem);
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
