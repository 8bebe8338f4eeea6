// A PNG file's structure checked before stb decodes it, so that a small file cannot make the
// decoder allocate without bound. Debian's stb (2022) grows its buffers from what the file
// declares, before reading: a chunk length of 1.2 GB in a 190-byte file makes it reallocate to
// 2 GB (found by fuzz_image), and IDAT data that inflates beyond the image's declared size is
// expanded without limit.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace quant::dataset {

bool is_png(const uint8_t* bytes, size_t size);

// Throws Data naming `path` unless every chunk up to IEND lies inside the file and the IDAT
// stream inflates (zlib) to at most the bytes the IHDR's size, bit depth, colour type and
// interlacing need. Memory used: a fixed 64 KB buffer. Other problems (bad CRCs, unknown
// filters) are left to the decoder, whose messages they get.
void require_bounded_png(const uint8_t* bytes, size_t size, const std::string& path);

// The bytes of filtered scanlines (one filter byte per row) a PNG of this header decodes to:
// Adam7 interlacing adds a filter byte per row of each of its seven passes.
uint64_t png_filtered_size(uint32_t width, uint32_t height, int bit_depth, int colour_type, bool interlaced);

}  // namespace quant::dataset
