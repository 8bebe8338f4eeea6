#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/file_io.h"
#include "dataset/png_check.h"

#include <zlib.h>

using namespace quant;
using dataset::png_filtered_size;

namespace {

// A PNG from its chunks: signature, then length, type, data and CRC of each.
std::string png(const std::vector<std::pair<std::string, std::string>>& chunks) {
  std::string out = "\x89PNG\r\n\x1a\n";
  auto be32 = [&](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xff));
  };
  for (const auto& [type, data] : chunks) {
    be32(static_cast<uint32_t>(data.size()));
    const std::string body = type + data;
    out += body;
    be32(static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
  }
  return out;
}

std::string header(uint32_t w, uint32_t h, int depth, int colour, int interlace) {
  std::string d;
  for (uint32_t v : {w, h})
    for (int s = 24; s >= 0; s -= 8) d.push_back(static_cast<char>((v >> s) & 0xff));
  d += {static_cast<char>(depth), static_cast<char>(colour), 0, 0, static_cast<char>(interlace)};
  return d;
}

std::string deflated(size_t zeros) {
  const std::string raw(zeros, '\0');
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::string out(size, '\0');
  compress(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()));
  out.resize(size);
  return out;
}

void check(const std::string& file) {
  dataset::require_bounded_png(reinterpret_cast<const uint8_t*>(file.data()), file.size(), "x.png");
}

}  // namespace

TEST_CASE("filtered PNG sizes: a filter byte per row, Adam7 passes counted apart", "[png]") {
  CHECK(png_filtered_size(8, 8, 8, 0, false) == 8 * (1 + 8));
  // Adam7 on 8x8: passes of 1x1, 1x1, 2x1, 2x2, 4x2, 4x4, 8x4 pixels, each row with its filter byte:
  // 2 + 2 + 3 + 6 + 10 + 20 + 36.
  CHECK(png_filtered_size(8, 8, 8, 0, true) == 79);
  CHECK(png_filtered_size(1, 1, 16, 6, false) == 1 + 8);  // RGBA, 16 bits a sample
  CHECK(png_filtered_size(1, 1, 16, 6, true) == 1 + 8);   // only the first pass has pixels
  CHECK(png_filtered_size(3, 2, 1, 3, false) == 2 * (1 + 1));  // 3 one-bit palette indices fit a byte
  CHECK(png_filtered_size(28, 28, 8, 2, false) == 28 * (1 + 84));
}

TEST_CASE("PNG check: valid files pass, chunks beyond the file and inflation bombs are refused", "[png]") {
  // A real 8x8 gray image (a fuzzing seed): passes.
  check(read_file(std::string(QUANT_TESTDATA_DIR) + "/fuzz/image/gray_8x8.png"));
  check(png({{"IHDR", header(8, 8, 8, 0, 0)}, {"IDAT", deflated(72)}, {"IEND", ""}}));
  // The IDAT split over two chunks still counts as one stream.
  const std::string data = deflated(72);
  check(png({{"IHDR", header(8, 8, 8, 0, 0)}, {"IDAT", data.substr(0, 5)}, {"IDAT", data.substr(5)}, {"IEND", ""}}));

  // 8x8 gray needs 72 bytes; 10 MB of zeros compress to about 10 KB.
  const std::string bomb = png({{"IHDR", header(8, 8, 8, 0, 0)}, {"IDAT", deflated(10'000'000)}, {"IEND", ""}});
  CHECK_THROWS_WITH(check(bomb), Catch::Contains("inflates to more than the 72 bytes"));
  CHECK_THROWS_AS(check(bomb), Error);

  // A chunk declaring more bytes than the file holds (stb would grow its buffer to it first).
  std::string truncated = png({{"IHDR", header(8, 8, 8, 0, 0)}, {"IDAT", data}});
  truncated[33 + 0] = 0x49;  // IDAT length's high byte: about 1.2 GB
  CHECK_THROWS_WITH(check(truncated), Catch::Contains("chunk 'IDAT' at byte 33 declares"));
}
