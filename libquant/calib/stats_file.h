// Calibration statistics as a JSON file (`quantize calibrate --stats-out`, `optimize --stats`):
//   {"format": "quant-calibration-stats", "version": 1, "samples": N, "tensors": {name: {"min", "max",
//    "count", "signed_hist": {"lo", "hi", "counts": [...]}, "abs_hist": {...}}}}
// Histograms are present only when pass 2 ran.
#pragma once
#include "calib/stats.h"

namespace quant::calib {

void save_statistics(const std::string& path, const Statistics& stats);  // atomic
Statistics load_statistics(const std::string& path);                     // throws Io/Parse naming the file

}  // namespace quant::calib
