// Calibration samples, read one at a time so that memory does not grow with their number.
// A source yields samples without the batch axis (calib::sample_inputs adds it).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace quant::dataset {

class SampleSource {
 public:
  virtual ~SampleSource() = default;
  virtual int64_t size() const = 0;
  // Sample i, shaped as the model input without its batch axis. Thread-safe.
  virtual Tensor sample(int64_t i) const = 0;
  virtual std::string where(int64_t i) const = 0;  // the file (and index) it comes from, for messages
  // Samples [first, first + count) back to back into `out`, when each is of `dtype` and `shape`
  // (out then holds count times their bytes); false when one is not (out partly written). Thread-
  // safe. This reads them one by one; a source holding them back to back in a file reads them at once.
  virtual bool read_samples(int64_t first, int64_t count, DType dtype, const Shape& shape, uint8_t* out) const;
  // What the source changed in the samples it gave so far, one sentence each (e.g. images resized
  // to the model's size): said in the log and recorded in the statistics and params JSON.
  virtual std::vector<std::string> adjustments() const { return {}; }
};

// What the model input expects of one sample: element type and shape without the batch axis
// (-1 for a dimension the model leaves open).
struct SampleSpec {
  std::string input_name;
  DType dtype = DType::Float32;
  Shape shape;
};

// Files of a folder with one of the extensions (sorted by name), or the lines of a list file
// (paths relative to it), or the file itself. Throws Io when nothing is found.
std::vector<std::string> list_files(const std::string& path, const std::vector<std::string>& extensions, const char* what);

}  // namespace quant::dataset
