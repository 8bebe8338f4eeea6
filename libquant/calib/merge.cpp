#include "calib/merge.h"

#include <algorithm>

#include "core/error.h"

namespace quant::calib {
namespace {

// Every shard of one split, once each.
void require_complete_split(const std::vector<NamedStatistics>& parts) {
  const NamedStatistics& first = parts.front();
  std::vector<const NamedStatistics*> by_index(static_cast<size_t>(first.stats.shard.count), nullptr);
  for (const NamedStatistics& p : parts) {
    if (p.stats.shard.count == 1)
      throw Error(ErrorKind::Data, "'" + p.name + "' is not a shard, '" + first.name + "' is (" + first.stats.shard.name() +
                                       "): merge the shards of one split, or unsharded statistics");
    if (p.stats.shard.count != first.stats.shard.count || p.stats.dataset_samples != first.stats.dataset_samples)
      throw Error(ErrorKind::Data, "'" + p.name + "' is shard " + p.stats.shard.name() + " of " + std::to_string(p.stats.dataset_samples) + " samples, '" +
                                       first.name + "' is " + first.stats.shard.name() + " of " + std::to_string(first.stats.dataset_samples) +
                                       ": not the same split");
    if (p.stats.groups_stacked != first.stats.groups_stacked)
      throw Error(ErrorKind::Data, "'" + p.name + "' ran its sample groups " + (p.stats.groups_stacked ? "stacked" : "sample by sample") + ", '" + first.name +
                                       "' " + (first.stats.groups_stacked ? "stacked" : "sample by sample") +
                                       ": shards of one split run the same way (calibrate them with the same quant and model)");
    const NamedStatistics*& slot = by_index[static_cast<size_t>(p.stats.shard.index)];
    if (slot) throw Error(ErrorKind::Data, "shard " + p.stats.shard.name() + " is given twice ('" + slot->name + "' and '" + p.name + "')");
    slot = &p;
  }
  std::string missing;
  for (size_t i = 0; i < by_index.size(); ++i)
    if (!by_index[i]) missing += (missing.empty() ? "" : ", ") + Shard{static_cast<int64_t>(i), first.stats.shard.count}.name();
  if (!missing.empty()) throw Error(ErrorKind::Data, "shard" + std::string(missing.find(',') == std::string::npos ? " " : "s ") + missing + " missing: every shard of the split is needed");
}

void require_same_tensors(const NamedStatistics& a, const NamedStatistics& b) {
  auto lacking = [](const NamedStatistics& has, const NamedStatistics& lacks) {
    for (const auto& [name, s] : has.stats.tensors)
      if (!lacks.stats.tensors.count(name))
        throw Error(ErrorKind::Data, "'" + has.name + "' has tensor '" + shortened(name) + "' that '" + lacks.name +
                                         "' lacks: statistics of different models (or scripts, or --target-opset)");
  };
  lacking(a, b);
  lacking(b, a);
}

}  // namespace

Statistics merge_statistics(const std::vector<NamedStatistics>& parts) {
  if (parts.size() < 2) throw Error(ErrorKind::Usage, "merging needs at least two statistics files");
  const bool sharded = parts.front().stats.shard.count > 1;
  if (sharded) require_complete_split(parts);
  // In shard order, so that the per-shard adjustments come out the same whatever order the files are given.
  std::vector<const NamedStatistics*> ordered;
  for (const NamedStatistics& p : parts) ordered.push_back(&p);
  std::stable_sort(ordered.begin(), ordered.end(), [](const NamedStatistics* a, const NamedStatistics* b) { return a->stats.shard.index < b->stats.shard.index; });
  Statistics merged;
  for (const NamedStatistics* part : ordered) {
    const NamedStatistics& p = *part;
    if (!sharded && p.stats.shard.count > 1)
      throw Error(ErrorKind::Data, "'" + p.name + "' is shard " + p.stats.shard.name() + ", '" + parts.front().name +
                                       "' is not: merge the shards of one split, or unsharded statistics");
    require_same_tensors(parts.front(), p);
    for (const auto& [name, s] : p.stats.tensors) {
      try {
        merge_into(merged.tensors[name], s);
      } catch (const Error& e) {
        throw Error(e.kind(), "'" + p.name + "', tensor '" + shortened(name) + "': " + e.message());
      }
    }
    merged.samples += p.stats.samples;
    merged.groups_stacked = merged.groups_stacked && p.stats.groups_stacked;
    merged.unobserved.insert(p.stats.unobserved.begin(), p.stats.unobserved.end());
    for (const std::string& a : p.stats.data_adjustments) {
      // A shard's adjustments count its own samples: kept per shard.
      const std::string line = sharded ? "shard " + p.stats.shard.name() + ": " + a : a;
      if (std::find(merged.data_adjustments.begin(), merged.data_adjustments.end(), line) == merged.data_adjustments.end())
        merged.data_adjustments.push_back(line);
    }
  }
  merged.dataset_samples = merged.samples;
  return merged;
}

}  // namespace quant::calib
