// The steps `optimize`, `calibrate` and `sweep` share: load and prepare the model with its script,
// calibrate, and turn the command line's choices into plan options.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "calib/stats.h"
#include "calib_data.h"
#include "ir/graph.h"
#include "plan/plan.h"
#include "script/rules.h"

namespace quant::app {

// The float model as preparation and the script leave it (normalization folded in), the script's rules, and the
// calibration options after the script's defaults (command-line flags win).
struct Prepared {
  ir::Model model;
  std::optional<script::ScriptRules> rules;
  plan::PlanRules plan_rules;
  CalibDataOptions data;
  bool bias_correction = false;
  std::vector<std::pair<std::string, std::vector<double>>> fixed_inputs;  // --input-value, as applied
};

// Loads the model, fixes --input-shape/--input-value, prepares it, and applies the script (layer
// references checked, normalization folded, weights clipped, layers equalized); the script's
// calibration settings become defaults of `data`.
Prepared prepare(const std::string& model_path, const std::string& script_path, bool ignore_missing_layers, CalibDataOptions data,
                 int target_opset);

// Calibrates the prepared model on `data` (histograms when a method needs them; only the shard's
// samples when given), with progress. With `only_for_plan`, only the tensors that plan quantizes
// are observed (optimize: the statistics serve that one plan).
calib::Statistics run_calibration(const ir::Model& model, const CalibDataOptions& data, bool histograms, const calib::Shard& shard = {},
                                  const plan::PlanOptions* only_for_plan = nullptr);

// The range and type choices of the command line (optimize's flags, one sweep configuration).
struct QuantChoices {
  std::string method = "minmax";
  double percentile = 99.99;
  std::string activation_type = "uint8";
  bool per_tensor_weights = false;
  bool full_integer = false;
  double headroom_16bit = 0.25;
  std::vector<std::string> keep_float;      // --keep-float: layers (names or {globs}) left float
  std::vector<std::string> keep_float_ops;  // --keep-float-ops: op types whose nodes are left float
};
// Plan options for the choices and the prepared model's rules. Throws Usage for a bad choice or a
// --keep-float name or --keep-float-ops type the model does not have.
plan::PlanOptions make_plan_options(const QuantChoices& choices, const Prepared& prepared);

}  // namespace quant::app
