#include "core/allocator.h"

#include <malloc.h>

#include <mutex>

namespace quant {

void keep_large_blocks_for_reuse() {
  static std::once_flag once;
  std::call_once(once, [] {
    mallopt(M_MMAP_THRESHOLD, 1 << 30);  // blocks up to 1 GiB come from the heap...
    mallopt(M_TRIM_THRESHOLD, 1 << 30);  // ...and stay there after free, for the next batch
  });
}

}  // namespace quant
