// The ONNX loader: bytes -> IR, schema checks and graph validation included.
#include "fuzz_input.h"
#include "onnx/load.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return quant::fuzz::run([&] { quant::onnx_io::load_model_from_bytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz.onnx", "/nonexistent"); });
}
