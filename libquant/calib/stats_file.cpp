#include "calib/stats_file.h"

#include <nlohmann/json.hpp>

#include "core/file_io.h"

namespace quant::calib {
namespace {

constexpr const char* kFormat = "quant-calibration-stats";

nlohmann::json histogram_json(const Histogram& h) { return {{"lo", h.lo}, {"hi", h.hi}, {"counts", h.counts}}; }

Histogram histogram_from(const nlohmann::json& j) {
  Histogram h;
  h.lo = j.at("lo").get<double>();
  h.hi = j.at("hi").get<double>();
  h.counts = j.at("counts").get<std::vector<uint64_t>>();
  return h;
}

}  // namespace

void save_statistics(const std::string& path, const Statistics& stats) {
  nlohmann::json out;
  out["format"] = kFormat;
  out["version"] = 1;
  out["samples"] = stats.samples;
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
    if (j.at("version").get<int>() != 1) throw Error(ErrorKind::Unsupported, "statistics file version " + j.at("version").dump() + " is not supported", {.file = path});
    Statistics stats;
    stats.samples = j.at("samples").get<uint64_t>();
    for (const auto& [name, t] : j.at("tensors").items()) {
      TensorStats s;
      s.min = t.at("min").get<double>();
      s.max = t.at("max").get<double>();
      s.count = t.at("count").get<uint64_t>();
      if (t.contains("signed_hist")) {
        s.signed_hist = histogram_from(t.at("signed_hist"));
        s.abs_hist = histogram_from(t.at("abs_hist"));
      }
      stats.tensors[name] = s;
    }
    return stats;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::Parse, std::string("malformed statistics file: ") + e.what(), {.file = path});
  }
}

}  // namespace quant::calib
