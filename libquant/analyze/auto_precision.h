// Automatic mixed precision: the fewest layers raised to 16 bits (a16_w16) for the model's outputs
// to reach a target SQNR against float on the calibration data. Compute layers are raised in order
// of their sensitivity (analyze.h: output SQNR with only that layer quantized, lowest first), then
// the other nodes with quantized outputs (lowest tensor SQNR first), one at a time, each step
// measured, under a budget on the share of multiply-accumulates at 16 bits. Once the target holds,
// each layer raised on the way is taken back (latest first) if the target holds without it.
#pragma once
#include <string>
#include <vector>

#include "analyze/analyze.h"
#include "plan/plan.h"

namespace quant::analyze {

struct AutoPrecisionOptions {
  double target_sqnr_db = 40;
  double max_16bit_fraction = 1.0;  // share of the compute layers' MACs allowed at 16 bits
  int64_t max_samples = -1;
  calib::ProgressFn progress;
};

struct AutoPrecisionStep {
  std::string layer;         // raised in this step ("" for the starting point)
  double sqnr_db = 0;        // lowest output SQNR after it
  double mac_fraction = 0;   // share of MACs at 16 bits after it
};

struct AutoPrecisionResult {
  std::vector<std::string> layers_16bit;  // in the order raised
  std::vector<AutoPrecisionStep> steps;
  std::vector<LayerRow> sensitivity;      // of the starting plan
  std::vector<AutoPrecisionStep> taken_back;  // raised, then found not needed: SQNR without it
  std::vector<AutoPrecisionStep> over_budget;  // not raised: the MAC share it would have brought
  int candidates = 0;                     // layers that could be raised
  bool reached = false;
  double final_sqnr_db = 0, final_mac_fraction = 0;
};

// `base` is the plan's options as the command line and script set them; the result's layers are
// to be added to its rules.precision as a16_w16 (precision_for_layer).
AutoPrecisionResult auto_precision(const ir::Model& float_model, const calib::Statistics& stats, const plan::PlanOptions& base,
                                   const std::vector<calib::CalibrationInput>& data, const AutoPrecisionOptions& options);

plan::LayerPrecision precision_for_layer();  // a16_w16, source "auto-precision"

// Multiply-accumulates per sample of a Conv/ConvTranspose/Gemm/MatMul node with a constant weight:
// weight elements x output elements per output channel (0 when shapes are unknown).
double layer_macs(const ir::Graph& graph, const ir::Node& node);

}  // namespace quant::analyze
