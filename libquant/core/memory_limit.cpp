#include "core/memory_limit.h"

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <mutex>

#include "core/error.h"

namespace quant {

namespace {

std::atomic<uint64_t> g_in_use{0};
std::atomic<uint64_t> g_limit{0};  // 0 until set: the physical memory
std::mutex g_what_mutex;
std::string g_what = "the machine's memory; --max-memory sets it";

uint64_t limit_now() {
  const uint64_t limit = g_limit.load(std::memory_order_relaxed);
  return limit ? limit : physical_memory_bytes();
}

}  // namespace

uint64_t physical_memory_bytes() {
  static const uint64_t bytes = [] {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : UINT64_MAX;
  }();
  return bytes;
}

void set_tensor_memory_limit(uint64_t bytes, std::string what) {
  std::lock_guard lock(g_what_mutex);
  g_limit = bytes;
  g_what = std::move(what);
}

uint64_t tensor_memory_limit() { return limit_now(); }
uint64_t tensor_memory_in_use() { return g_in_use.load(std::memory_order_relaxed); }

void reserve_tensor_memory(uint64_t bytes, DType dtype, const Shape& shape) {
  const uint64_t limit = limit_now();
  uint64_t in_use = g_in_use.load(std::memory_order_relaxed);
  // Compare-and-swap so that two threads cannot both pass the check with the last free bytes.
  do {
    if (bytes > limit || in_use > limit - bytes) {
      std::string what;
      {
        std::lock_guard lock(g_what_mutex);
        what = g_what;
      }
      throw Error(ErrorKind::Model, "a tensor " + std::string(dtype_name(dtype)) + shape_to_string(shape) + " of " + format_byte_size(bytes) + " would bring the tensor memory in use (" +
                                        format_byte_size(in_use) + ") above the limit of " + format_byte_size(limit) + " (" + what + ")");
    }
  } while (!g_in_use.compare_exchange_weak(in_use, in_use + bytes, std::memory_order_relaxed));
}

void release_tensor_memory(uint64_t bytes) { g_in_use.fetch_sub(bytes, std::memory_order_relaxed); }

uint64_t parse_byte_size(const std::string& text) {
  auto bad = [&] {
    return Error(ErrorKind::Usage, "'" + shortened(text, 40) + "' is not a memory size (examples: 512M, 1.5G, 2T, 1000000)");
  };
  size_t used = 0;
  double number = 0;
  try {
    number = std::stod(text, &used);
  } catch (const std::exception&) {
    throw bad();
  }
  // Powers of 1024 whichever spelling: 1G = 1GB = 1GiB = 2^30 bytes (case ignored).
  static const std::pair<const char*, double> kUnits[] = {
      {"", 1}, {"b", 1}, {"k", 0x1p10}, {"kb", 0x1p10}, {"kib", 0x1p10}, {"m", 0x1p20}, {"mb", 0x1p20}, {"mib", 0x1p20},
      {"g", 0x1p30}, {"gb", 0x1p30}, {"gib", 0x1p30}, {"t", 0x1p40}, {"tb", 0x1p40}, {"tib", 0x1p40}};
  std::string unit = text.substr(used);
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double scale = 0;
  for (const auto& [name, factor] : kUnits)
    if (unit == name) scale = factor;
  if (scale == 0) throw bad();
  const double bytes = std::floor(number * scale);
  if (!(bytes >= 1) || bytes >= 1.8e19) throw bad();
  return static_cast<uint64_t>(bytes);
}

std::string format_byte_size(uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  static const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(bytes) / 1024;
  int u = 0;
  while (v >= 1024 && u < 5) v /= 1024, ++u;
  char text[32];
  std::snprintf(text, sizeof text, "%.*f %s", v < 10 ? 2 : v < 100 ? 1 : 0, v, kUnits[u]);
  return text;
}

}  // namespace quant
