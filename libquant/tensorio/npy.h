// NumPy .npy files (format versions 1 to 3, little-endian, C order), the format calibration
// tensors and `quantize infer` outputs use.
#pragma once
#include <string>

#include "core/tensor.h"

namespace quant::tensorio {

Tensor parse_npy(const std::string& bytes, const std::string& source);  // throws Parse/Unsupported naming source
Tensor read_npy(const std::string& path);
std::string serialize_npy(const Tensor& tensor);  // version 1.0, header padded to 64 bytes
void write_npy(const std::string& path, const Tensor& tensor);  // atomic

}  // namespace quant::tensorio
