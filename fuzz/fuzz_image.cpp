// The image path of calibration: decode (PNG/JPEG through stb), resize, normalize, as a 3-channel
// 32x32 model input would read it.
#include "dataset/image_source.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = quant::fuzz::as_file(data, size, ".png");
  return quant::fuzz::run([&] {
    quant::dataset::ImageSpec spec;
    spec.height = spec.width = 32;
    quant::dataset::open_image_samples(path, spec)->sample(0);
  });
}
