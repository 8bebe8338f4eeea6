#include "calib/stats_file.h"

#include <nlohmann/json.hpp>

#include <cmath>

#include "core/file_io.h"

namespace quant::calib {
namespace {

constexpr const char* kFormat = "quant-calibration-stats";

nlohmann::json histogram_json(const Histogram& h) { return {{"lo", h.lo}, {"hi", h.hi}, {"counts", h.counts}}; }

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

Histogram histogram_from(const nlohmann::json& j) {
  Histogram h;
  h.lo = real(j.at("lo"), "a histogram's lo");
  h.hi = real(j.at("hi"), "a histogram's hi");
  const nlohmann::json& counts = j.at("counts");
  if (!counts.is_array() || counts.empty() || counts.size() > (1u << 20) || !(h.lo < h.hi))
    throw Error(ErrorKind::Parse, "a histogram needs lo < hi and 1 to 2^20 bin counts");
  for (const nlohmann::json& c : counts) h.counts.push_back(count(c, "a histogram count"));
  return h;
}

}  // namespace

void save_statistics(const std::string& path, const Statistics& stats) {
  nlohmann::json out;
  out["format"] = kFormat;
  out["version"] = 1;
  out["samples"] = stats.samples;
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
    if (j.at("version") != 1) throw Error(ErrorKind::Unsupported, "statistics file version " + j.at("version").dump() + " is not supported", {.file = path});
    Statistics stats;
    stats.samples = count(j.at("samples"), "samples");
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
        s.signed_hist = histogram_from(t.at("signed_hist"));
        s.abs_hist = histogram_from(t.at("abs_hist"));
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
