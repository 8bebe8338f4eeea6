#include "dataset/source.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace quant::dataset {

bool SampleSource::read_samples(int64_t first, int64_t count, DType dtype, const Shape& shape, uint8_t* out) const {
  for (int64_t i = first; i < first + count; ++i) {
    const Tensor t = sample(i);
    if (t.dtype() != dtype || t.shape() != shape) return false;
    std::memcpy(out, t.raw(), t.nbytes());
    out += t.nbytes();
  }
  return true;
}

namespace fs = std::filesystem;

std::vector<std::string> list_files(const std::string& path, const std::vector<std::string>& extensions, const char* what) {
  std::error_code ec;
  auto has_extension = [&](const fs::path& p) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    return std::find(extensions.begin(), extensions.end(), ext) != extensions.end();
  };
  std::vector<std::string> files;
  if (fs::is_directory(path, ec)) {
    for (const auto& e : fs::directory_iterator(path, ec))
      if (e.is_regular_file() && has_extension(e.path())) files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      std::string exts;
      for (const std::string& e : extensions) exts += (exts.empty() ? "" : ", ") + e;
      throw Error(ErrorKind::Io, std::string("no ") + what + " files (" + exts + ") in this folder", {.file = path});
    }
    return files;
  }
  if (!fs::exists(path, ec)) throw Error(ErrorKind::Io, std::string("no such ") + what + " file or folder", {.file = path});
  if (fs::path(path).extension() == ".txt") {
    std::ifstream in(path);
    std::string line;
    const fs::path base = fs::path(path).parent_path();
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      files.push_back(fs::path(line).is_absolute() ? line : (base / line).string());
    }
    if (files.empty()) throw Error(ErrorKind::Io, std::string("the list names no ") + what + " files", {.file = path});
    return files;
  }
  return {path};
}

}  // namespace quant::dataset
