// What every fuzz target shares: run a parser on the input, accept quant::Error (the answer to bad
// input), and for parsers that read files, put the input in one.
#pragma once
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "core/error.h"

namespace quant::fuzz {

template <typename Fn>
int run(Fn&& parse) {
  try {
    parse();
  } catch (const Error&) {
  }
  return 0;
}

// A file holding the input, one per process (the targets run one input at a time).
inline std::string as_file(const uint8_t* data, size_t size, const char* extension) {
  const std::string path = "/tmp/quant_fuzz_" + std::to_string(::getpid()) + extension;
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace quant::fuzz
