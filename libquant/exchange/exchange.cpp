#include "exchange/exchange.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include <nlohmann/json.hpp>

#include "qmath/qparams.h"

namespace quant::exchange {

namespace {

// Activations to export: the pairs on real tensors (constants and conversions apart).
bool is_activation(const emit::QdqEntry& e) { return !e.constant && !e.q_input.empty() && !e.conversion; }

}  // namespace

Exported aimet_encodings(const std::vector<emit::QdqEntry>& entries) {
  nlohmann::ordered_json activations = nlohmann::ordered_json::array(), params = nlohmann::ordered_json::array();
  int conversions = 0;
  for (const emit::QdqEntry& e : entries) {
    if (!e.constant && !is_activation(e)) {
      conversions += e.conversion;
      continue;
    }
    nlohmann::ordered_json j{{"name", e.tensor}, {"output_dtype", dtype_name(e.dtype)}};
    if (e.axis >= 0) {
      j["y_scale"] = e.scale;
      j["y_zero_point"] = e.zero_point;
      j["axis"] = e.axis;
    } else {
      j["y_scale"] = e.scale.at(0);
      j["y_zero_point"] = e.zero_point.at(0);
    }
    (e.constant ? params : activations).push_back(j);
  }
  Exported out;
  out.text = nlohmann::ordered_json{{"version", "2.0.0"}, {"activation_encodings", activations}, {"param_encodings", params}}.dump(2) + "\n";
  if (conversions)
    out.notes.push_back(std::to_string(conversions) + " conversions (a tensor requantized to a second precision for some readers) are not in the encodings: "
                        "the format has one encoding per tensor");
  return out;
}

Exported tensorrt_cache(const std::vector<emit::QdqEntry>& entries, int trt_version) {
  Exported out;
  out.text = "TRT-" + std::to_string(trt_version) + "-EntropyCalibration2\n";
  int wide = 0;
  for (const emit::QdqEntry& e : entries) {
    if (!is_activation(e)) continue;
    const qmath::RealRange r = qmath::limvals({e.scale.at(0), e.zero_point.at(0)}, qmath::qrange(e.dtype));
    const float scale = static_cast<float>(std::max(std::abs(r.min), std::abs(r.max)) / 127.0);
    uint32_t bits;
    std::memcpy(&bits, &scale, sizeof bits);
    char hex[16];
    std::snprintf(hex, sizeof hex, "%08x", bits);
    out.text += e.tensor + ": " + hex + "\n";
    wide += dtype_size(e.dtype) > 1;
  }
  if (wide)
    out.notes.push_back(std::to_string(wide) + " 16-bit activations are in the TensorRT cache as int8 scales of their range (TensorRT calibrates int8 only)");
  return out;
}

}  // namespace quant::exchange
