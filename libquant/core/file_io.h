// Whole-file reads and atomic writes: a file quant writes appears complete or not at all
// (written to a temporary file beside it, then renamed over the target), only ever replaces a
// regular file, and the outputs of one run are checked against its inputs and each other.
#pragma once
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace quant {

std::string read_file(const std::string& path);  // throws Io naming the path

// A whole file's bytes for reading once (a model): a regular file is mapped read-only (mmap, its
// pages mapped in one go) instead of copied into a buffer of fresh pages, which for a 45 MB model
// cost 11,000 page faults and the copy; anything else (a pipe) is read into memory. Throws Io
// naming the path.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::string_view bytes() const { return mapped_ ? std::string_view(static_cast<const char*>(mapped_), size_) : std::string_view(read_); }

 private:
  void* mapped_ = nullptr;
  size_t size_ = 0;
  std::string read_;  // when not mapped
};

// A file open for reading, closed with its last owner; read_at() may be called from several
// threads at once (pread), so one open file serves every sample of a calibration file.
class OpenFile {
 public:
  explicit OpenFile(const std::string& path);  // throws Io naming the path
  ~OpenFile();
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  // Exactly `size` bytes at `offset` into `dst`; throws Io saying `what` could not be read.
  void read_at(uint64_t offset, void* dst, size_t size, const std::string& what) const;
  const std::string& path() const { return path_; }
  int fd() const { return fd_; }

 private:
  std::string path_;
  int fd_ = -1;
};
void write_file_atomically(const std::string& path, const std::string& bytes);  // throws Io
// Writes every file to a temporary file beside it, then renames them all, so that the outputs of
// one run (a model and its JSON) appear together: a failure or a kill before the renames leaves
// none of them and no temporary file. Throws Io.
void write_files_atomically(const std::vector<std::pair<std::string, std::string>>& files);
// The same for files written piece by piece (outputs streamed batch by batch): each path gets a
// temporary file beside it, append() adds bytes, commit() renames them all. Destroyed without
// commit() (an error, an exception passing by), the temporary files are removed. Throws Io.
class StagedFiles {
 public:
  explicit StagedFiles(const std::vector<std::string>& paths);
  ~StagedFiles();
  StagedFiles(const StagedFiles&) = delete;
  StagedFiles& operator=(const StagedFiles&) = delete;
  void append(size_t file, const char* data, size_t size);
  void commit();

 private:
  struct Staged {
    std::string path, tmp;
    size_t slot;
    std::ofstream out;
  };
  void discard();
  std::vector<Staged> files_;
};
// Throws Io unless `path` can be written by write_files_atomically: its folder exists, and it is
// absent or a regular file (never a device, FIFO or folder). Checked before a run's long work.
void require_writable_target(const std::string& path);
// Removes the temporary files of writes in progress. Async-signal-safe: the SIGINT/SIGTERM handler
// of apps/ calls it before the process dies.
void remove_temporary_files_now();

// A file the command line names, with what it is ("the input model", "-o").
struct NamedPath {
  std::string what, path;
};
// Throws Usage when an output is one of the inputs or another output (same file by path or by
// identity: links and "./x" included). Empty paths are ignored.
void require_distinct_outputs(const std::vector<NamedPath>& inputs, const std::vector<NamedPath>& outputs);

}  // namespace quant
