// The files of `quantize sweep`: one row per configuration of the grid with its options and
// scores, written as sweep.csv, sweep.json and a self-contained sweep.svg bar chart. Pure
// formatting: the same rows give the same bytes.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace quant::analyze {

struct SweepRow {
  // Options.
  std::string script;        // "" = none
  int64_t calib_size = 0;    // calibration samples used
  std::string method;
  std::optional<double> percentile;  // for the percentile method
  std::string activation_type, weights;
  // Scores on the evaluation data.
  std::optional<double> accuracy, top1_agreement;  // with labels
  double sqnr_db = 0;        // lowest output SQNR against the float model (+inf: equal)
  double max_abs_error = 0;  // largest over the outputs
};

struct SweepContext {
  std::string model;
  int64_t samples = 0;  // evaluation samples
  std::optional<double> float_accuracy;
};

// The best row: highest accuracy with labels (then SQNR), else highest SQNR. Rows must not be empty.
size_t best_row(const std::vector<SweepRow>& rows);
// "entropy, 500 samples, uint8, per-channel" (+ ", 99.9th percentile", ", script s.alls").
std::string row_label(const SweepRow& row);

std::string sweep_csv(const std::vector<SweepRow>& rows);
nlohmann::ordered_json sweep_json(const std::vector<SweepRow>& rows, const SweepContext& context);
std::string sweep_svg(const std::vector<SweepRow>& rows, const SweepContext& context);

}  // namespace quant::analyze
