#include "dataset/png_check.h"

#include "core/error.h"

#include <zlib.h>

#include <array>
#include <cstring>
#include <memory>

namespace quant::dataset {

namespace {

constexpr std::array<uint8_t, 8> kSignature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

uint32_t big_endian_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// Samples per pixel by colour type (PNG spec 11.2.2): gray, -, RGB, palette, gray+alpha, -, RGBA.
int samples_per_pixel(int colour_type) {
  switch (colour_type) {
    case 0: return 1;
    case 2: return 3;
    case 3: return 1;
    case 4: return 2;
    case 6: return 4;
    default: return 0;
  }
}

// Filtered bytes of a `width` x `height` (sub)image: each row is 1 filter byte + ceil(width*bits/8).
uint64_t filtered_rows(uint64_t width, uint64_t height, uint64_t bits_per_pixel) {
  if (width == 0 || height == 0) return 0;
  return height * (1 + (width * bits_per_pixel + 7) / 8);
}

// Inflates the concatenated IDAT payloads, counting the output without keeping it, and stops as
// soon as the count passes `limit` (or the stream ends or fails: the decoder reports that).
class BoundedInflater {
 public:
  BoundedInflater(uint64_t limit, bool raw_deflate) : limit_(limit) {
    std::memset(&stream_, 0, sizeof stream_);
    // CgBI (Apple) PNGs hold raw deflate data without the zlib header: window bits negative.
    if (inflateInit2(&stream_, raw_deflate ? -15 : 15) != Z_OK) throw Error(ErrorKind::Internal, "zlib inflateInit2 failed");
  }
  ~BoundedInflater() { inflateEnd(&stream_); }
  BoundedInflater(const BoundedInflater&) = delete;
  BoundedInflater& operator=(const BoundedInflater&) = delete;

  // Feeds one IDAT payload; after the stream ended, failed or passed the limit, does nothing.
  void feed(const uint8_t* data, uint32_t size) {
    if (done_) return;
    stream_.next_in = const_cast<Bytef*>(data);
    stream_.avail_in = size;
    while (stream_.avail_in > 0) {
      stream_.next_out = buffer_.data();
      stream_.avail_out = static_cast<uInt>(buffer_.size());
      const int rc = inflate(&stream_, Z_NO_FLUSH);
      if (stream_.total_out > limit_ || rc == Z_STREAM_END || (rc != Z_OK && rc != Z_BUF_ERROR)) {
        done_ = true;
        return;
      }
      if (rc == Z_BUF_ERROR) return;  // no progress possible: needs the next chunk
    }
  }
  uint64_t inflated() const { return stream_.total_out; }

 private:
  uint64_t limit_;
  bool done_ = false;
  z_stream stream_;
  std::array<Bytef, 64 * 1024> buffer_{};
};

}  // namespace

bool is_png(const uint8_t* bytes, size_t size) {
  return size >= kSignature.size() && std::memcmp(bytes, kSignature.data(), kSignature.size()) == 0;
}

uint64_t png_filtered_size(uint32_t width, uint32_t height, int bit_depth, int colour_type, bool interlaced) {
  const uint64_t bits = static_cast<uint64_t>(samples_per_pixel(colour_type)) * static_cast<uint64_t>(bit_depth);
  if (!interlaced) return filtered_rows(width, height, bits);
  // Adam7 passes: first column, first row, column step, row step (PNG spec 8.2).
  constexpr int kPasses[7][4] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};
  uint64_t total = 0;
  for (const auto& p : kPasses) {
    const uint64_t w = width > static_cast<uint32_t>(p[0]) ? (width - p[0] + p[2] - 1) / p[2] : 0;
    const uint64_t h = height > static_cast<uint32_t>(p[1]) ? (height - p[1] + p[3] - 1) / p[3] : 0;
    total += filtered_rows(w, h, bits);
  }
  return total;
}

void require_bounded_png(const uint8_t* bytes, size_t size, const std::string& path) {
  auto refuse = [&](const std::string& why) { throw Error(ErrorKind::Data, "corrupt PNG: " + why, {.file = path}); };
  size_t at = kSignature.size();
  uint64_t limit = 0;
  bool raw_deflate = false, seen_header = false;
  std::unique_ptr<BoundedInflater> inflater;
  while (at + 8 <= size) {
    const uint32_t length = big_endian_u32(bytes + at);
    const std::string type(reinterpret_cast<const char*>(bytes + at + 4), 4);
    const size_t left = size - at - 8;
    // Length, type, data and a 4-byte CRC must all be in the file.
    if (length > left || left - length < 4)
      refuse("chunk '" + type + "' at byte " + std::to_string(at) + " declares " + std::to_string(length) + " bytes of data, the file has " +
             std::to_string(left >= 4 ? left - 4 : 0) + " left");
    const uint8_t* data = bytes + at + 8;
    if (type == "CgBI") raw_deflate = true;
    if (type == "IHDR" && length >= 13) {
      seen_header = true;
      limit = png_filtered_size(big_endian_u32(data), big_endian_u32(data + 4), data[8], data[9], data[12] != 0);
    }
    if (type == "IDAT") {
      if (!seen_header) return;  // the decoder reports the missing header
      if (!inflater) inflater = std::make_unique<BoundedInflater>(limit, raw_deflate);
      inflater->feed(data, length);
      if (inflater->inflated() > limit)
        refuse("its image data inflates to more than the " + std::to_string(limit) + " bytes its header's size and format need");
    }
    if (type == "IEND") return;
    at += 12 + static_cast<size_t>(length);
  }
}

}  // namespace quant::dataset
