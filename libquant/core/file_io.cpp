#include "core/file_io.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
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
  // A regular file in one read of its size (a stream into a growing buffer took 0.1 s for a 45 MB
  // model); anything else (a pipe) through a stream.
  const auto size = std::filesystem::is_regular_file(path, ec) ? std::filesystem::file_size(path, ec) : std::uintmax_t{0};
  if (size > 0 && !ec) {
    const OpenFile file(path);
    std::string bytes(size, '\0');
    file.read_at(0, bytes.data(), bytes.size(), "the whole file");
    return bytes;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::Io, std::string("cannot open: ") + std::strerror(errno), {.file = path});
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

MappedFile::MappedFile(const std::string& path) {
  {
    const OpenFile file(path);
    struct stat st {};
    if (::fstat(file.fd(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
      size_ = static_cast<size_t>(st.st_size);
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, file.fd(), 0);
      if (p != MAP_FAILED) {
        mapped_ = p;
        return;  // the mapping outlives the descriptor
      }
    }
  }
  read_ = read_file(path);
}

MappedFile::~MappedFile() {
  if (mapped_) ::munmap(mapped_, size_);
}

OpenFile::OpenFile(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw Error(ErrorKind::Io, std::string("cannot open: ") + std::strerror(errno), {.file = path});
}

OpenFile::~OpenFile() { ::close(fd_); }

void OpenFile::read_at(uint64_t offset, void* dst, size_t size, const std::string& what) const {
  size_t done = 0;
  while (done < size) {
    const ssize_t got = ::pread(fd_, static_cast<char*>(dst) + done, size - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) throw Error(ErrorKind::Io, "could not read " + what, {.file = path_});
    done += static_cast<size_t>(got);
  }
}

namespace {

// Temporary files being written, for remove_temporary_files_now(): fixed slots of plain chars, so
// that a signal handler can read them without allocating. 1024 slots: `infer` writes one file per
// model output, all at once (4 MB of address space, touched only as far as used).
constexpr size_t kSlots = 1024, kPathMax = 4096;
char g_temporary[kSlots][kPathMax];
volatile std::sig_atomic_t g_in_use[kSlots];

size_t register_temporary(const std::string& path) {
  for (size_t i = 0; i < kSlots; ++i) {
    if (g_in_use[i] || path.size() >= kPathMax) continue;
    std::memcpy(g_temporary[i], path.c_str(), path.size() + 1);
    g_in_use[i] = 1;
    return i;
  }
  return kSlots;  // not registered: a kill may leave it (only with more than 1024 files at once)
}
void release_temporary(size_t slot) {
  if (slot < kSlots) g_in_use[slot] = 0;
}

}  // namespace

// The target must be absent or a regular file: renaming over a device or a folder would replace it.
void require_writable_target(const std::string& path) {
  const std::filesystem::path target(path);
  std::error_code ec;
  const auto status = std::filesystem::status(target, ec);
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
    throw Error(ErrorKind::Io, "cannot write: it exists and is not a regular file (quant replaces only regular files)", {.file = target.string()});
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::is_directory(dir, ec))
    throw Error(ErrorKind::Io, "cannot write: folder '" + dir.string() + "' does not exist", {.file = target.string()});
}

StagedFiles::StagedFiles(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) require_writable_target(path);
  for (const std::string& path : paths) {
    Staged f{path, path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(files_.size()), 0, {}};
    f.slot = register_temporary(f.tmp);
    f.out.open(f.tmp, std::ios::binary | std::ios::trunc);
    const bool opened = static_cast<bool>(f.out);
    const std::string why = std::strerror(errno);
    files_.push_back(std::move(f));
    if (!opened) {
      discard();
      throw Error(ErrorKind::Io, "cannot write: " + why, {.file = path});
    }
  }
}

StagedFiles::~StagedFiles() { discard(); }

void StagedFiles::append(size_t i, const char* data, size_t size) {
  Staged& f = files_.at(i);
  f.out.write(data, static_cast<std::streamsize>(size));
  if (!f.out) {
    const std::string path = f.path;
    discard();
    throw Error(ErrorKind::Io, "write failed (disk full?)", {.file = path});
  }
}

void StagedFiles::commit() {
  for (Staged& f : files_) {
    f.out.flush();
    f.out.close();
    if (!f.out) {
      const std::string path = f.path;
      discard();
      throw Error(ErrorKind::Io, "write failed (disk full?)", {.file = path});
    }
  }
  for (size_t i = 0; i < files_.size(); ++i) {
    if (std::rename(files_[i].tmp.c_str(), files_[i].path.c_str()) != 0) {
      const std::string why = std::strerror(errno), path = files_[i].path;
      files_.erase(files_.begin(), files_.begin() + static_cast<std::ptrdiff_t>(i));
      discard();
      throw Error(ErrorKind::Io, "cannot replace the file: " + why, {.file = path});
    }
    release_temporary(files_[i].slot);
  }
  files_.clear();
}

void StagedFiles::discard() {
  std::error_code ec;
  for (Staged& f : files_) {
    f.out.close();
    std::filesystem::remove(f.tmp, ec);
    release_temporary(f.slot);
  }
  files_.clear();
}

void write_files_atomically(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<std::string> paths;
  for (const auto& [path, bytes] : files) paths.push_back(path);
  StagedFiles staged(paths);
  for (size_t i = 0; i < files.size(); ++i) staged.append(i, files[i].second.data(), files[i].second.size());
  staged.commit();
}

void write_file_atomically(const std::string& path, const std::string& bytes) { write_files_atomically({{path, bytes}}); }

void remove_temporary_files_now() {
  for (size_t i = 0; i < kSlots; ++i)
    if (g_in_use[i]) ::unlink(g_temporary[i]);
}

void require_distinct_outputs(const std::vector<NamedPath>& inputs, const std::vector<NamedPath>& outputs) {
  namespace fs = std::filesystem;
  auto same = [](const std::string& a, const std::string& b) {
    std::error_code ec1, ec2;
    if (fs::weakly_canonical(a, ec1) == fs::weakly_canonical(b, ec2) && !ec1 && !ec2) return true;
    std::error_code ec;
    return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);
  };
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (outputs[i].path.empty()) continue;
    for (const NamedPath& in : inputs)
      if (!in.path.empty() && same(outputs[i].path, in.path))
        throw Error(ErrorKind::Usage, outputs[i].what + " '" + outputs[i].path + "' is " + in.what + ": writing it would replace a file this run reads");
    for (size_t j = 0; j < i; ++j)
      if (!outputs[j].path.empty() && same(outputs[i].path, outputs[j].path))
        throw Error(ErrorKind::Usage, outputs[i].what + " and " + outputs[j].what + " are the same file '" + outputs[i].path + "'");
  }
}

}  // namespace quant
