// `quantize analyze`: a quantized model against its float model on the same inputs. Per tensor,
// in graph order, the error of the quantized path (SQNR, cosine, max/RMS, clipped fraction, range
// used vs seen); per layer the sensitivity (output SQNR with only that layer quantized, the rest
// float); at the outputs the error, and top-1 agreement/accuracy when labels are given.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "analyze/error_sums.h"
#include "calib/calibrator.h"
#include "ir/graph.h"

namespace quant::analyze {

struct TensorRow {
  std::string name, producer, op_type;
  std::string dtype;   // the quantized type, "" when the tensor is not quantized (compared as it is)
  double range_lo = 0, range_hi = 0;  // the quantization range (quantized tensors)
  ErrorSums error;
};

struct LayerRow {
  std::string node, op_type;
  double sensitivity_db = 0;  // lowest output SQNR with only this layer quantized
};

struct OutputRow {
  std::string name;
  ErrorSums error;  // float outputs of one shape in both models, element by element
  // Samples where the output is compared whole instead, as SQNR cannot measure it: an integer
  // output (a detector's selected indices) or one whose shape differs between the models (the
  // boxes a different selection keeps). How many, and on how many the models differ.
  int64_t whole_samples = 0, differing_samples = 0;

  // Adds one sample's float-model and quantized-model output.
  void add(const Tensor& float_value, const Tensor& quant_value);
  void merge(const OutputRow& other);
  // "identical in 5 of 8 samples", for the samples compared whole ("" when none was).
  std::string whole_comparison() const;
};

// The lowest SQNR over the outputs SQNR measures (+inf when none is measured): the figure sweeps,
// --auto-precision and the per-layer sensitivity rank by.
double lowest_sqnr(const std::vector<OutputRow>& outputs);

struct Report {
  int64_t samples = 0;
  std::vector<TensorRow> tensors;
  std::vector<LayerRow> layers;  // in graph order
  std::vector<OutputRow> outputs;
  // With labels (classification, first output): top-1 of each model and their agreement.
  std::optional<double> accuracy_float, accuracy_quant, top1_agreement;
};

struct Options {
  int64_t max_samples = -1;
  bool sensitivity = true;
  bool tensors = true;             // the per-tensor rows (false: outputs and accuracy only, faster)
  const Tensor* labels = nullptr;  // int labels, one per sample
  calib::ProgressFn progress;      // pass 1: the comparison, pass 2..: one per layer
};

// Throws Usage unless `quant` can be the quantized form of `float_graph`: the same inputs (names and
// shapes) and outputs, and every float node present by name and op.
void require_matching_models(const ir::Graph& float_graph, const ir::Graph& quant);

// Both graphs are run by the float interpreter (the quantized one through its Q/DQ nodes). Throws
// Usage when the models do not match (different inputs or outputs, a quantized tensor the float
// model lacks).
Report analyze(const ir::Graph& float_graph, const ir::Graph& quant_graph, const std::vector<calib::CalibrationInput>& data, const Options& options);

}  // namespace quant::analyze
