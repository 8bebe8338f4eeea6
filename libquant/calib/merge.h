// Merging statistics files: the shards of one calibration (`calibrate --shard I/N`), or separate
// calibrations of one model on different data. The result is bit-identical to one calibration over
// all the samples (stats.h explains why the histograms merge exactly).
#pragma once
#include <string>
#include <vector>

#include "calib/stats.h"

namespace quant::calib {

struct NamedStatistics {
  std::string name;  // where it came from (a file path), for messages
  Statistics stats;
};

// Merges all parts. Sharded parts must be every shard of one split exactly once (the result is then
// unsharded); sharded and unsharded parts do not mix. Every part must hold the same tensors, all
// with histograms or all without. Throws Usage (fewer than two parts) or Data naming the part.
Statistics merge_statistics(const std::vector<NamedStatistics>& parts);

}  // namespace quant::calib
