// The .npy reader (header parsing, sizes, element types).
#include "fuzz_input.h"
#include "tensorio/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return quant::fuzz::run([&] { quant::tensorio::parse_npy(std::string(reinterpret_cast<const char*>(data), size), "fuzz.npy"); });
}
