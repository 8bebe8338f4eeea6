// The interpreter allocates and frees the same large activation buffers for every batch. glibc
// serves blocks above 128 KiB-32 MiB with mmap and returns them with munmap, so every batch would
// pay page faults on fresh pages again. This keeps such blocks in the heap for reuse.
#pragma once

namespace quant {

// Idempotent and thread-safe; affects the whole process (glibc mallopt).
void keep_large_blocks_for_reuse();

}  // namespace quant
