#include "dataset/npy_source.h"

#include <algorithm>
#include <memory>

#include "core/file_io.h"
#include "tensorio/npy.h"

namespace quant::dataset {
namespace {

struct NpyFile {
  std::string path;
  size_t data_offset = 0;
  int64_t samples = 0;
  int64_t first_index = 0;  // of its first sample in the whole source
  // A file of many samples stays open (read with pread, which any thread may call at once); a
  // folder of one-sample files is opened per read, so that thousands of them hold no descriptors.
  std::shared_ptr<const OpenFile> open;
};

class NpySamples final : public SampleSource {
 public:
  NpySamples(std::vector<NpyFile> files, SampleSpec spec, Shape sample_shape)
      : files_(std::move(files)), spec_(std::move(spec)), sample_shape_(std::move(sample_shape)) {}

  int64_t size() const override { return files_.empty() ? 0 : files_.back().first_index + files_.back().samples; }

  Tensor sample(int64_t i) const override {
    const NpyFile& f = file_of(i);
    Tensor t(spec_.dtype, sample_shape_, Init::Uninitialized);
    const std::shared_ptr<const OpenFile> file = f.open ? f.open : std::make_shared<const OpenFile>(f.path);
    file->read_at(f.data_offset + static_cast<uint64_t>(i - f.first_index) * t.nbytes(), t.raw(), t.nbytes(), "sample " + std::to_string(i - f.first_index));
    return t;
  }

  // One read per file the samples are in (a group of 16 is one read, not 16).
  bool read_samples(int64_t first, int64_t count, DType dtype, const Shape& shape, uint8_t* out) const override {
    if (dtype != spec_.dtype || shape != sample_shape_) return false;
    const size_t sample_bytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
    for (int64_t i = first; i < first + count;) {
      const NpyFile& f = file_of(i);
      if (!f.open) {  // a one-sample file
        if (!SampleSource::read_samples(i, 1, dtype, shape, out)) return false;
        out += sample_bytes, ++i;
        continue;
      }
      const int64_t n = std::min(first + count, f.first_index + f.samples) - i;
      f.open->read_at(f.data_offset + static_cast<uint64_t>(i - f.first_index) * sample_bytes, out, static_cast<size_t>(n) * sample_bytes,
                      "samples " + std::to_string(i - f.first_index) + " to " + std::to_string(i - f.first_index + n - 1));
      out += static_cast<size_t>(n) * sample_bytes, i += n;
    }
    return true;
  }

  std::string where(int64_t i) const override {
    const NpyFile& f = file_of(i);
    return f.samples > 1 ? f.path + "[" + std::to_string(i - f.first_index) + "]" : f.path;
  }

 private:
  const NpyFile& file_of(int64_t i) const {
    for (const NpyFile& f : files_)
      if (i < f.first_index + f.samples) return f;
    throw Error(ErrorKind::Internal, "sample index out of range");
  }
  std::vector<NpyFile> files_;
  SampleSpec spec_;
  Shape sample_shape_;
};

bool matches(const Shape& shape, const Shape& spec) {
  if (shape.size() != spec.size()) return false;
  for (size_t i = 0; i < shape.size(); ++i)
    if (spec[i] >= 0 && spec[i] != shape[i]) return false;
  return true;
}

}  // namespace

std::unique_ptr<SampleSource> open_npy_samples(const std::string& path, const SampleSpec& spec) {
  std::vector<NpyFile> files;
  Shape sample_shape;
  int64_t next = 0;
  for (const std::string& file : list_files(path, {".npy"}, ".npy")) {
    const tensorio::NpyHeader h = tensorio::read_npy_header(file);
    if (h.dtype != spec.dtype)
      throw Error(ErrorKind::Data, std::string("holds ") + dtype_name(h.dtype) + ", model input '" + spec.input_name + "' takes " + dtype_name(spec.dtype), {.file = file});
    NpyFile f{file, h.data_offset, 0, next};
    Shape one;
    if (matches(h.shape, spec.shape)) {  // a single sample
      f.samples = 1;
      one = h.shape;
    } else if (!h.shape.empty() && matches(Shape(h.shape.begin() + 1, h.shape.end()), spec.shape)) {  // samples along axis 0
      f.samples = h.shape[0];
      one = Shape(h.shape.begin() + 1, h.shape.end());
    } else {
      throw Error(ErrorKind::Data, "shape " + shape_to_string(h.shape) + " fits neither one sample " + shape_to_string(spec.shape) +
                                       " nor a stack of them for model input '" + spec.input_name + "' (-1 = any size)", {.file = file});
    }
    if (sample_shape.empty()) sample_shape = one;
    else if (one != sample_shape)
      throw Error(ErrorKind::Data, "samples of shape " + shape_to_string(one) + " differ from the first file's " + shape_to_string(sample_shape), {.file = file});
    if (f.samples > 1) f.open = std::make_shared<const OpenFile>(file);
    if (f.samples > 0) files.push_back(f);
    next += f.samples;
  }
  if (next == 0) throw Error(ErrorKind::Data, "holds no samples", {.file = path});
  return std::make_unique<NpySamples>(std::move(files), spec, sample_shape);
}

}  // namespace quant::dataset
