#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/memory_limit.h"
#include "core/tensor.h"

using namespace quant;

TEST_CASE("memory sizes parse in powers of 1024 and print back", "[memory]") {
  CHECK(parse_byte_size("1000000") == 1000000);
  CHECK(parse_byte_size("64K") == 65536);
  CHECK(parse_byte_size("512M") == 512ull << 20);
  CHECK(parse_byte_size("1.5G") == 3ull << 29);
  CHECK(parse_byte_size("2TiB") == 2ull << 40);
  CHECK(parse_byte_size("4gb") == 4ull << 30);
  CHECK(parse_byte_size("10B") == 10);
  for (const char* bad : {"", "G", "12Q", "-1G", "0", "0.1", "1e30", "nan", "1 G"}) CHECK_THROWS_AS(parse_byte_size(bad), Error);
  CHECK(format_byte_size(1000) == "1000 B");
  CHECK(format_byte_size(1536) == "1.50 KiB");
  CHECK(format_byte_size(100 << 10) == "100 KiB");
  CHECK(format_byte_size(120ull << 30) == "120 GiB");
}

TEST_CASE("tensor memory is counted from allocation to release and bounded before allocating", "[memory]") {
  const uint64_t before = tensor_memory_in_use();
  {
    Tensor a(DType::Float32, {1000});  // 4000 bytes, rounded to 64: 4032
    CHECK(tensor_memory_in_use() == before + 4032);
    Tensor shared = a;  // copies share the buffer: counted once
    CHECK(tensor_memory_in_use() == before + 4032);
    set_tensor_memory_limit(before + 8192, "--max-memory test");
    CHECK_THROWS_WITH(Tensor(DType::Float32, {2000}), Catch::Contains("a tensor float32[2000] of 7.81 KiB would bring the tensor memory in use") &&
                                                          Catch::Contains("(--max-memory test)"));
    CHECK(tensor_memory_in_use() == before + 4032);  // the refused one was never counted
    Tensor b(DType::Float32, {1000});                 // fits: 8064 <= 8192
    CHECK(tensor_memory_in_use() == before + 8064);
  }
  CHECK(tensor_memory_in_use() == before);
  set_tensor_memory_limit(0, "the machine's memory; --max-memory sets it");
  CHECK(tensor_memory_limit() == physical_memory_bytes());
}
