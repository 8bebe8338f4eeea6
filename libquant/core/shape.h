// Shapes are plain vectors of dimension sizes (row-major, last axis fastest).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace quant {

using Shape = std::vector<int64_t>;

int64_t shape_numel(const Shape& shape);            // product of dims (1 for a scalar)
// The product of the dims times element_size, or -1 when a dim is negative or the product
// exceeds INT64_MAX: sizes a file declares are checked with this before anything is allocated.
int64_t checked_byte_size(const Shape& shape, int64_t element_size);
std::vector<int64_t> shape_strides(const Shape& shape);  // element strides, row-major
std::string shape_to_string(const Shape& shape);    // "[1, 3, 224, 224]"

// Normalizes a possibly negative axis into [0, rank); throws Model if out of range.
int64_t normalize_axis(int64_t axis, int64_t rank, const char* what = "axis");

// Numpy-style broadcast of two shapes; throws Data naming both shapes if they do not broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b);

}  // namespace quant
