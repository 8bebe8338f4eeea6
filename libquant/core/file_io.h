// Whole-file reads and atomic writes: a file quant writes appears complete or not at all
// (written to a temporary file beside it, then renamed over the target).
#pragma once
#include <string>

namespace quant {

std::string read_file(const std::string& path);  // throws Io naming the path
void write_file_atomically(const std::string& path, const std::string& bytes);  // throws Io

}  // namespace quant
