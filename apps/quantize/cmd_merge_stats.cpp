// quantize merge-stats A.json B.json ... -o ALL.json
// Joins statistics files (the shards of `calibrate --shard I/N`, or calibrations of one model on
// different data) into one, bit-identical to calibrating on all their samples at once.
#include <spdlog/spdlog.h>

#include "calib/merge.h"
#include "calib/stats_file.h"
#include "commands.h"

namespace quant::app {
namespace {

struct MergeStatsOptions {
  std::vector<std::string> inputs;
  std::string output;
  bool json = false;
};

void run_merge_stats(const MergeStatsOptions& opt) {
  std::vector<NamedPath> inputs;
  for (const std::string& path : opt.inputs) inputs.push_back({"a statistics file", path});
  require_distinct_outputs(inputs, {{"-o", opt.output}});
  require_writable_target(opt.output);
  std::vector<calib::NamedStatistics> parts;
  for (const std::string& path : opt.inputs) parts.push_back({path, calib::load_statistics(path)});
  const calib::Statistics merged = calib::merge_statistics(parts);
  calib::save_statistics(opt.output, merged);
  const bool shards = parts.front().stats.shard.count > 1;
  spdlog::info("merged {} {} ({} samples, {} tensors) into {}", parts.size(), shards ? "shards" : "statistics files", merged.samples, merged.tensors.size(),
               opt.output);
  print_result(opt.json, {{"command", "merge-stats"}, {"inputs", opt.inputs}, {"samples", merged.samples}, {"tensors", merged.tensors.size()}}, {opt.output});
}

}  // namespace

void register_merge_stats(CLI::App& app) {
  auto opt = std::make_shared<MergeStatsOptions>();
  CLI::App* cmd = app.add_subcommand("merge-stats", "Join statistics files (the shards of 'calibrate --shard I/N') into the statistics of one run");
  cmd->add_option("stats", opt->inputs, "Statistics files written by 'quantize calibrate'")->required()->expected(2, -1);
  cmd->add_option("-o,--output", opt->output, "The merged statistics JSON to write")->required();
  add_json_flag(*cmd, opt->json);
  cmd->callback([opt] { run_merge_stats(*opt); });
}

}  // namespace quant::app
