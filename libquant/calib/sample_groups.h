// Calibration runs each group of samples (stats.h, kSampleGroup consecutive samples) through the
// interpreter as one batch: the samples stacked along the batch axis, a short last group padded to
// kSampleGroup rows by repeating its last sample. Every group of every run, sharded or not, is then
// computed by the same kernels at the same batch size, so each sample's float values do not depend
// on --batch-size, --threads or --shard, and the statistics stay bit-identical (a batch of 16 runs
// the small models 2-2.5x faster per sample than 16 batches of 1, and observes 16x fewer tensors).
//
// Stacking pays where samples are small (a 28x28 image: the per-run overhead is most of the cost);
// where one sample's tensor exceeds kStackableBytes, 16 stacked ones spill out of the caches and the
// samples run one by one (kStackableBytes below).
//
// Stacking is right only when the model treats axis 0 of its inputs as a batch: every float tensor
// it computes then holds its samples' values in turns, in runs of a fixed length: [outer, samples,
// run] in plain order (axis 0 the batch: outer 1, run one sample's tensor; a sequence-first
// attention's [seq, batch, dim] or [seq * batch, dim]: outer seq, run dim; an RNN's state [layers,
// batch, hidden]). check_stacking() finds each tensor's run once per calibration on the dataset's
// first two samples; where a tensor has none (a Reshape to a fixed batch of 1 that mixes samples,
// a sum over the batch) the samples run one by one.
#pragma once
#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "calib/calibrator.h"

namespace quant::calib {

constexpr size_t kStackableBytes = 256 * 1024;

// The samples' inputs stacked along axis 0 and padded to `rows` by repeating the last sample;
// nullopt when they cannot stack (an input whose sample is the whole tensor, or shapes that differ).
std::optional<interp::TensorMap> stack_samples(const std::vector<interp::TensorMap>& samples, int64_t rows);

// What check_stacking() found: why samples should not run stacked (empty: they should), and for
// each float tensor the length of its samples' runs (0: an empty tensor).
struct Stacking {
  std::string problem;
  std::map<std::string, int64_t> sample_run;
  // The first sample's inputs (with their batch axis of 1): the type and shape in which a group's
  // samples are read, back to back (read_group).
  interp::TensorMap first_inputs;
};

// Runs the dataset's first two samples (the first twice when there is one) alone, and stacked as a
// group is (padded to kSampleGroup rows: the plans it builds are the groups'). A float tensor of
// the stacked run must hold the two samples' values as its first two samples, in runs of a's
// dimensions from some axis on, outermost first (with their values to 1e-4 of the tensor's largest
// magnitude: kernels may pick another summation order for another batch size). A problem also when
// a sample's tensor exceeds kStackableBytes, or the inputs cannot be stacked. The runs leave out
// `unobserved` as the groups do (CalibrateOptions::unobserved): same fusions, so the same plans.
Stacking check_stacking(const interp::Interpreter& interpreter, const std::vector<CalibrationInput>& inputs, int64_t dataset,
                        const std::set<std::string>& unobserved = {});

// A group's inputs read as one batch of kSampleGroup rows per input, the short last group padded
// by repeating its last sample; nullopt when a sample's type or shape is not that of the first
// sample's inputs, or when a value is not finite (the samples are then read one by one, and
// calibration says which one holds it).
std::optional<interp::TensorMap> read_group(const std::vector<CalibrationInput>& inputs, Shard::Group group, const Stacking& stacking);

// The values of a stacked group's first `real` samples (of kSampleGroup) in `t`, whose samples hold
// runs of `run` values in turns (its size a multiple of kSampleGroup * run), in plain order.
std::vector<float> first_samples_values(const Tensor& t, int64_t run, int64_t real);

}  // namespace quant::calib
