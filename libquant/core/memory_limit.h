// A bound on the tensor data quant holds at once (--max-memory), checked before each allocation,
// so that a model cannot make quant exhaust the machine: a ConstantOfShape or Expand to a shape of
// terabytes, an --input-shape with a huge batch. Every Tensor buffer is counted from allocation to
// release. Default: the machine's physical memory.
#pragma once
#include <cstdint>
#include <string>

#include "core/dtype.h"
#include "core/shape.h"

namespace quant {

// `what` says where the limit comes from, for messages ("--max-memory 2G").
void set_tensor_memory_limit(uint64_t bytes, std::string what);
uint64_t tensor_memory_limit();
uint64_t tensor_memory_in_use();
uint64_t physical_memory_bytes();

// Counts `bytes` (the buffer of a tensor of this type and shape) as in use, or throws Model when
// that would pass the limit; the interpreter adds the node to the message. Thread-safe.
void reserve_tensor_memory(uint64_t bytes, DType dtype, const Shape& shape);
void release_tensor_memory(uint64_t bytes);

// "123", "64K", "512M", "1.5G", "2T" (powers of 1024; a trailing "B" or "iB" allowed) in bytes.
// Throws Usage on anything else or on 0.
uint64_t parse_byte_size(const std::string& text);
// 1536 -> "1.5 KiB"; below 1 KiB in bytes.
std::string format_byte_size(uint64_t bytes);

}  // namespace quant
