// Streams calibration samples through the float interpreter in batches and folds every float
// tensor the graph produces (and its inputs) into fixed-size statistics (stats.h). Memory holds one
// batch and the statistics, whatever the number of samples; results do not depend on batch size.
#pragma once
#include <functional>
#include <map>
#include <set>

#include "calib/stats.h"
#include "dataset/source.h"
#include "interp/interpreter.h"

namespace quant::calib {

struct CalibrationInput {
  std::string name;                       // the model input
  const dataset::SampleSource* source;    // its samples
  // Whether a sample lacks the input's first axis (a batch axis of size 1 is added to run it), or is
  // the whole input (a model whose first axis is fixed to more than 1 is not batched by samples).
  bool add_batch_axis = true;
};

// Whether every value of a float tensor is finite (true for other types).
bool all_finite(const Tensor& t);

// The interpreter inputs for sample i: each source's sample, with the batch axis added where needed.
interp::TensorMap sample_inputs(const std::vector<CalibrationInput>& inputs, int64_t i);

// pass, passes (one pass today), samples done, samples in total.
using ProgressFn = std::function<void(int pass, int passes, int64_t done, int64_t total)>;

struct CalibrateOptions {
  int64_t batch_size = 32;   // progress shows each time this many more samples are done
  int64_t max_samples = -1;   // -1: all
  bool histograms = false;    // fill the histograms too (for percentile, entropy, mse)
  // Tensors not observed at all (plan::fused_outputs: a plan asks only whether they exist). They are
  // listed in Statistics::unobserved, and their producer runs fused with the Relu/Clip reading them.
  std::set<std::string> unobserved;
  // Tensors not observed but given the statistics of the tensor named (value_copies.h): they hold
  // the same values, rearranged.
  std::map<std::string, std::string> copies;
  Shard shard;                // the samples this run takes: every shard.count-th from shard.index
  ProgressFn progress;
};

Statistics calibrate(const interp::Interpreter& interpreter, const std::vector<CalibrationInput>& inputs, const CalibrateOptions& options);

// The float tensors that a calibration with `unobserved` observes on the first sample: its float
// inputs and every float tensor computed, except `unobserved` ones. On one thread, as the stacking
// check runs: the plans it builds are the check's. Every tensor a calibration observes when each
// sample takes the same path through the graph (no If whose branch the samples choose).
std::set<std::string> tensors_observed_on_first_sample(const interp::Interpreter& interpreter, const std::vector<CalibrationInput>& inputs,
                                                       const std::set<std::string>& unobserved);

// How many samples a calibration will use (the smallest source, capped by max_samples); throws
// Usage/Data when that is zero or the sources disagree.
int64_t calibration_sample_count(const std::vector<CalibrationInput>& inputs, int64_t max_samples);

}  // namespace quant::calib
