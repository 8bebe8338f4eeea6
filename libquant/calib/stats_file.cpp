#include "calib/stats_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/file_io.h"

namespace quant::calib {
namespace {

constexpr const char* kFormat = "quant-calibration-stats";

// 3: shards take groups of kSampleGroup samples, which run stacked (groups_stacked); 2: shards took
// single samples, each run alone; both on power-of-two histogram grids. 1 had per-run [lo, hi] grids.
constexpr int kVersion = 3;

nlohmann::json histogram_json(const Histogram& h) { return {{"exponent", h.exponent}, {"first", h.first}, {"counts", h.counts}}; }

// Checked reads: a statistics file is input like any other, and nlohmann's get<> converts an
// out-of-range or fractional number with undefined behaviour.
double real(const nlohmann::json& v, const char* what) {
  if (!v.is_number() || !std::isfinite(v.get<double>())) throw Error(ErrorKind::Parse, std::string(what) + " is not a finite number");
  return v.get<double>();
}
uint64_t count(const nlohmann::json& v, const char* what) {
  if (!v.is_number_unsigned()) throw Error(ErrorKind::Parse, std::string(what) + " is not a whole number >= 0");
  return v.get<uint64_t>();
}

int64_t integer(const nlohmann::json& v, const char* what) {
  if (!v.is_number_integer()) throw Error(ErrorKind::Parse, std::string(what) + " is not a whole number");
  return v.get<int64_t>();
}

// A histogram must sit on the grid its range prescribes (stats.h): merging relies on it.
Histogram histogram_from(const nlohmann::json& j, const Grid& g, uint64_t values, const char* which) {
  Histogram h;
  h.exponent = static_cast<int>(std::clamp<int64_t>(integer(j.at("exponent"), "a histogram's exponent"), -10000, 10000));
  h.first = integer(j.at("first"), "a histogram's first bin");
  const nlohmann::json& counts = j.at("counts");
  if (!counts.is_array() || counts.empty() || counts.size() > static_cast<size_t>(kHistogramBins))
    throw Error(ErrorKind::Parse, std::string("the ") + which + " histogram needs 1 to " + std::to_string(kHistogramBins) + " bin counts");
  uint64_t total = 0;
  for (const nlohmann::json& c : counts) {
    h.counts.push_back(count(c, "a histogram count"));
    total += h.counts.back();
  }
  if (h.exponent != g.exponent || h.first != g.first || h.first + static_cast<int64_t>(h.counts.size()) - 1 != g.last || total > values)
    throw Error(ErrorKind::Parse, std::string("the ") + which + " histogram is not on the grid of the tensor's range (exponent " + std::to_string(g.exponent) +
                                      ", bins " + std::to_string(g.first) + " to " + std::to_string(g.last) + ") or counts more values than the tensor");
  return h;
}

}  // namespace

void save_statistics(const std::string& path, const Statistics& stats) {
  nlohmann::json out;
  out["format"] = kFormat;
  out["version"] = kVersion;
  out["samples"] = stats.samples;
  out["groups_stacked"] = stats.groups_stacked;
  out["unobserved"] = stats.unobserved;
  if (stats.shard.count > 1) {
    out["shard"] = {{"index", stats.shard.index}, {"count", stats.shard.count}};
    out["dataset_samples"] = stats.dataset_samples;
  }
  if (!stats.data_adjustments.empty()) out["data_adjustments"] = stats.data_adjustments;
  out["tensors"] = nlohmann::json::object();
  for (const auto& [name, s] : stats.tensors) {
    nlohmann::json t{{"min", s.min}, {"max", s.max}, {"count", s.count}};
    if (s.has_histograms()) {
      t["signed_hist"] = histogram_json(s.signed_hist);
      t["abs_hist"] = histogram_json(s.abs_hist);
    }
    out["tensors"][name] = t;
  }
  write_file_atomically(path, out.dump() + "\n");
}

Statistics load_statistics(const std::string& path) {
  const std::string text = read_file(path);
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    if (j.value("format", "") != kFormat) throw Error(ErrorKind::Parse, "not a quant calibration statistics file", {.file = path});
    if (j.at("version") == 1)
      throw Error(ErrorKind::Unsupported, "statistics file version 1 (an older quant, whose histograms cannot be merged) is not supported: run 'quantize calibrate' again",
                  {.file = path});
    if (j.at("version") == 2)
      throw Error(ErrorKind::Unsupported,
                  "statistics file version 2 (an older quant, whose shards split single samples, not groups of " + std::to_string(kSampleGroup) +
                      ") is not supported: run 'quantize calibrate' again",
                  {.file = path});
    if (j.at("version") != kVersion) throw Error(ErrorKind::Unsupported, "statistics file version " + j.at("version").dump() + " is not supported", {.file = path});
    Statistics stats;
    stats.samples = count(j.at("samples"), "samples");
    stats.dataset_samples = stats.samples;
    if (!j.at("groups_stacked").is_boolean()) throw Error(ErrorKind::Parse, "groups_stacked is not true or false");
    stats.groups_stacked = j.at("groups_stacked").get<bool>();
    for (const nlohmann::json& name : j.at("unobserved")) {
      if (!name.is_string()) throw Error(ErrorKind::Parse, "unobserved holds a non-string");
      stats.unobserved.insert(name.get<std::string>());
    }
    if (j.contains("shard")) {
      stats.shard = {integer(j.at("shard").at("index"), "the shard index"), integer(j.at("shard").at("count"), "the shard count")};
      stats.dataset_samples = count(j.at("dataset_samples"), "dataset_samples");
      if (stats.shard.count < 2 || !stats.shard.valid() ||
          static_cast<uint64_t>(stats.shard.samples_of(static_cast<int64_t>(std::min<uint64_t>(stats.dataset_samples, INT64_MAX)))) != stats.samples)
        throw Error(ErrorKind::Parse, "the shard (index, count, dataset_samples) does not agree with samples");
    }
    if (j.contains("data_adjustments"))
      for (const nlohmann::json& a : j.at("data_adjustments")) {
        if (!a.is_string()) throw Error(ErrorKind::Parse, "malformed statistics file: data_adjustments holds a non-string", {.file = path});
        stats.data_adjustments.push_back(a.get<std::string>());
      }
    for (const auto& [name, t] : j.at("tensors").items()) {
      TensorStats s;
      s.count = count(t.at("count"), "a tensor's count");
      s.min = s.count ? real(t.at("min"), "a tensor's min") : 0.0;
      s.max = s.count ? real(t.at("max"), "a tensor's max") : 0.0;
      if (s.min > s.max) throw Error(ErrorKind::Parse, "tensor '" + shortened(name) + "': min above max");
      if (t.contains("signed_hist")) {
        if (s.count == 0) throw Error(ErrorKind::Parse, "tensor '" + shortened(name) + "': histograms of no values");
        s.signed_hist = histogram_from(t.at("signed_hist"), signed_grid(s), s.count, "signed");
        s.abs_hist = histogram_from(t.at("abs_hist"), abs_grid(s), s.count, "|x|");
      }
      stats.tensors[name] = s;
    }
    return stats;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::Parse, std::string("malformed statistics file: ") + e.what(), {.file = path});
  } catch (const Error& e) {
    if (!e.context().file.empty()) throw;
    throw Error(e.kind(), "malformed statistics file: " + e.message(), {.file = path});
  }
}

}  // namespace quant::calib
