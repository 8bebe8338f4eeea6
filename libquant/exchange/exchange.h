// Quantization parameters in the formats other toolchains read, from a QDQ model's Q/DQ nodes
// (emit::read_qdq), so that they come from `optimize` or from any quantized model alike:
//   - AIMET encodings, version 2.0.0 (read by Qualcomm's QNN/SNPE converters): docs/exchange.md;
//   - a TensorRT calibration cache (text, one symmetric int8 scale per activation tensor).
#pragma once
#include <string>
#include <vector>

#include "emit/qdq_reader.h"

namespace quant::exchange {

struct Exported {
  std::string text;
  std::vector<std::string> notes;  // what the format could not carry (logged by the caller)
};

// {"version": "2.0.0", "activation_encodings": [...], "param_encodings": [...]}, each entry
// {"name", "output_dtype", "y_scale", "y_zero_point", "axis"?} as onnx::QuantizeLinear takes them.
// Conversions (a second precision of one tensor) cannot be expressed and are left out (a note).
Exported aimet_encodings(const std::vector<emit::QdqEntry>& entries);

// "TRT-<version>-EntropyCalibration2" then "<tensor>: <hex>" per activation, hex = the IEEE-754
// bits of the float32 scale max(|lo|, |hi|) / 127 over the range [lo, hi] the Q/DQ pair covers.
// TensorRT is int8 only: 16-bit tensors are exported with their range as int8 scales (a note).
Exported tensorrt_cache(const std::vector<emit::QdqEntry>& entries, int trt_version = 8601);

}  // namespace quant::exchange
