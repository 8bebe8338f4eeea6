// Samples from .npy files: one file holding many samples along axis 0 (rank = the input's rank),
// one file per sample (rank = the input's rank - 1), or a folder / list of such files. Files are
// checked against the model input when opened (type and shape, naming the file) and read a sample,
// or a group of consecutive ones, at a time with a positioned read, never whole.
#pragma once
#include "dataset/source.h"

namespace quant::dataset {

std::unique_ptr<SampleSource> open_npy_samples(const std::string& path, const SampleSpec& spec);

}  // namespace quant::dataset
