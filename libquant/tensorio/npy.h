// NumPy .npy files (format versions 1 to 3, little-endian, C order), the format calibration
// tensors and `quantize infer` outputs use.
#pragma once
#include <string>

#include "core/tensor.h"

namespace quant::tensorio {

struct NpyHeader {
  DType dtype = DType::Undefined;
  Shape shape;
  size_t data_offset = 0;  // where the elements start
  // The bytes the shape needs (checked against overflow when the header is parsed).
  size_t data_bytes() const { return static_cast<size_t>(checked_byte_size(shape, static_cast<int64_t>(dtype_size(dtype)))); }
};

// Parses the header from the first bytes of a file (at least the header). Throws Parse/Unsupported naming source.
NpyHeader parse_npy_header(const std::string& bytes, const std::string& source);
// Reads only the header of a file and checks the file's size against it.
NpyHeader read_npy_header(const std::string& path);
Tensor parse_npy(const std::string& bytes, const std::string& source);  // throws Parse/Unsupported naming source
Tensor read_npy(const std::string& path);
std::string serialize_npy(const Tensor& tensor);  // version 1.0, header padded to 64 bytes
// The header serialize_npy writes for a tensor of this type and shape (the data follows it).
std::string npy_header(DType dtype, const Shape& shape);
// Rows [first, first + count) along axis 0 of a file whose header is `header` (read_npy_header).
Tensor read_npy_rows(const std::string& path, const NpyHeader& header, int64_t first, int64_t count);
void write_npy(const std::string& path, const Tensor& tensor);  // atomic

}  // namespace quant::tensorio
