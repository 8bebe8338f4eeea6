// The quantization parameters as JSON, one entry per quantized tensor (docs/params-json.md):
//   {"format": "quant-params", "version": 1, "model": ..., "quantized_model": ...,
//    "calibration": {"method", "samples", "percentile"?, "data_adjustments"?},
//    "tensors": [{"name", "role", "producer", "consumers"?, "source_tensor"?, "dtype", "qp_scale", "qp_zp",
//                 "axis"?, "limvals_min", "limvals_max", "qmin", "qmax", "precision_mode"?, "calibrated_min",
//                 "calibrated_max", "range_min", "range_max", "method", "shares_params_with"?, "range_rule"?,
//                 "rule_source"?}]}
// qp_scale / qp_zp / limvals are numbers per tensor, arrays per channel (with "axis").
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "plan/plan.h"

namespace quant::emit {

struct ParamsContext {
  std::string model_path, quantized_model_path;
  uint64_t samples = 0;
  std::vector<std::string> data_adjustments;  // calib::Statistics::data_adjustments
  // Inputs replaced by constants (--input-value): the quantized model holds only for these values.
  std::vector<std::pair<std::string, std::vector<double>>> fixed_inputs;
};

nlohmann::ordered_json params_json(const plan::QuantPlan& plan, const ParamsContext& context);

}  // namespace quant::emit
