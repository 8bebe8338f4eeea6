// The statistics file that `calibrate` writes and `optimize --stats` reads.
#include "calib/stats_file.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = quant::fuzz::as_file(data, size, ".json");
  return quant::fuzz::run([&] { quant::calib::load_statistics(path); });
}
