// The model-script parser and the compilation of its commands into rules.
#include "fuzz_input.h"
#include "script/rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return quant::fuzz::run([&] { quant::script::compile_script(quant::script::parse_script(std::string(reinterpret_cast<const char*>(data), size), "fuzz.alls")); });
}
