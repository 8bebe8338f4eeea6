#include "core/file_io.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace quant {

std::string read_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw Error(ErrorKind::Io, "no such file", {.file = path});
  if (std::filesystem::is_directory(path, ec)) throw Error(ErrorKind::Io, "is a directory, expected a file", {.file = path});
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::Io, std::string("cannot open: ") + std::strerror(errno), {.file = path});
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void write_file_atomically(const std::string& path, const std::string& bytes) {
  const std::filesystem::path target(path);
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw Error(ErrorKind::Io, "cannot write: folder '" + dir.string() + "' does not exist", {.file = path});
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(ErrorKind::Io, std::string("cannot write: ") + std::strerror(errno), {.file = path});
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      std::filesystem::remove(tmp, ec);
      throw Error(ErrorKind::Io, "write failed (disk full?)", {.file = path});
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::filesystem::remove(tmp, ec);
    throw Error(ErrorKind::Io, "cannot replace the file: " + why, {.file = path});
  }
}

}  // namespace quant
