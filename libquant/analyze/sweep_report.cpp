#include "analyze/sweep_report.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include <fmt/format.h>

namespace quant::analyze {
namespace {

bool labelled(const std::vector<SweepRow>& rows) { return !rows.empty() && rows.front().accuracy.has_value(); }

// The charted score: accuracy in percent with labels, else SQNR in dB (an exact +inf drawn at the
// largest finite value).
double score(const SweepRow& r) { return r.accuracy ? *r.accuracy * 100 : r.sqnr_db; }

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:.6g}", v);
}

nlohmann::ordered_json json_number(double v) { return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr); }

std::string escape_xml(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

}  // namespace

size_t best_row(const std::vector<SweepRow>& rows) {
  size_t best = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    const SweepRow &a = rows[i], &b = rows[best];
    const bool better = a.accuracy && b.accuracy ? (*a.accuracy > *b.accuracy || (*a.accuracy == *b.accuracy && a.sqnr_db > b.sqnr_db))
                                                 : a.sqnr_db > b.sqnr_db;
    if (better) best = i;
  }
  return best;
}

std::string row_label(const SweepRow& r) {
  std::string label = r.method;
  if (r.percentile) label += fmt::format(" {:g}", *r.percentile);
  label += fmt::format(", {} samples, {}, {}", r.calib_size, r.activation_type, r.weights);
  if (!r.script.empty()) label += ", " + std::filesystem::path(r.script).filename().string();
  return label;
}

std::string sweep_csv(const std::vector<SweepRow>& rows) {
  const bool labels = labelled(rows);
  std::string csv = "config,script,calib_size,method,percentile,activation_type,weights";
  csv += labels ? ",accuracy,top1_agreement,sqnr_db,max_abs_error\n" : ",sqnr_db,max_abs_error\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const SweepRow& r = rows[i];
    csv += fmt::format("{},{},{},{},{},{},{}", i + 1, r.script, r.calib_size, r.method, r.percentile ? number(*r.percentile) : "",
                       r.activation_type, r.weights);
    if (labels) csv += "," + number(*r.accuracy) + "," + number(*r.top1_agreement);
    csv += "," + number(r.sqnr_db) + "," + number(r.max_abs_error) + "\n";
  }
  return csv;
}

nlohmann::ordered_json sweep_json(const std::vector<SweepRow>& rows, const SweepContext& context) {
  nlohmann::ordered_json configs = nlohmann::ordered_json::array();
  for (size_t i = 0; i < rows.size(); ++i) {
    const SweepRow& r = rows[i];
    nlohmann::ordered_json options{{"script", r.script}, {"calib_size", r.calib_size}, {"method", r.method},
                                   {"percentile", r.percentile ? nlohmann::ordered_json(*r.percentile) : nlohmann::ordered_json(nullptr)},
                                   {"activation_type", r.activation_type}, {"weights", r.weights}};
    nlohmann::ordered_json scores = nlohmann::ordered_json::object();
    if (r.accuracy) scores["accuracy"] = *r.accuracy;
    if (r.top1_agreement) scores["top1_agreement"] = *r.top1_agreement;
    scores["sqnr_db"] = json_number(r.sqnr_db);
    scores["max_abs_error"] = json_number(r.max_abs_error);
    configs.push_back({{"config", i + 1}, {"label", row_label(r)}, {"options", options}, {"scores", scores}});
  }
  nlohmann::ordered_json j{{"format", "quant-sweep"}, {"version", 1}, {"model", context.model}, {"samples", context.samples}};
  if (context.float_accuracy) j["float_accuracy"] = *context.float_accuracy;
  j["score"] = labelled(rows) ? "accuracy" : "sqnr_db";
  j["best"] = rows.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(best_row(rows) + 1);
  j["configurations"] = configs;
  return j;
}

std::string sweep_svg(const std::vector<SweepRow>& rows, const SweepContext& context) {
  const bool labels = labelled(rows);
  const int bar_h = 18, gap = 6, left = 360, right = 90, top = 54, width = 930;
  const int height = top + static_cast<int>(rows.size()) * (bar_h + gap) + 40;
  // The axis spans the scores (from a little below the lowest), so that close scores differ visibly;
  // its ends are labelled.
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const SweepRow& r : rows)
    if (std::isfinite(score(r))) lo = std::min(lo, score(r)), hi = std::max(hi, score(r));
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  lo = std::floor(std::max(0.0, lo - std::max(1.0, 0.25 * (hi - lo))));
  hi = std::ceil(hi);
  if (hi <= lo) hi = lo + 1;
  const size_t best = rows.empty() ? 0 : best_row(rows);
  std::string svg = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="12">)", width, height);
  svg += fmt::format(R"(<rect width="{}" height="{}" fill="white"/>)", width, height);
  svg += fmt::format(R"(<text x="10" y="20" font-size="15" font-weight="bold">{}</text>)",
                     escape_xml("quantize sweep: " + std::filesystem::path(context.model).filename().string()));
  std::string subtitle = labels ? fmt::format("top-1 accuracy (%) on {} samples", context.samples)
                                : fmt::format("lowest output SQNR (dB) against the float model on {} samples", context.samples);
  if (context.float_accuracy) subtitle += fmt::format("; float model {:.2f}%", *context.float_accuracy * 100);
  svg += fmt::format(R"(<text x="10" y="38" fill="#444">{}; best in orange</text>)", escape_xml(subtitle));
  const double scale = (width - left - right) / (hi - lo);
  const int axis_y = top + static_cast<int>(rows.size()) * (bar_h + gap) + 4;
  svg += fmt::format(R"(<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#888"/>)", left, width - right, axis_y, axis_y);
  svg += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle" fill="#444">{:g}</text>)", left, axis_y + 16, lo);
  svg += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle" fill="#444">{:g}</text>)", width - right, axis_y + 16, hi);
  for (size_t i = 0; i < rows.size(); ++i) {
    const double v = score(rows[i]);
    const double shown = std::isfinite(v) ? v : hi;
    const int y = top + static_cast<int>(i) * (bar_h + gap);
    svg += fmt::format(R"(<text x="{}" y="{}" text-anchor="end">{}</text>)", left - 8, y + 13, escape_xml(fmt::format("{}. {}", i + 1, row_label(rows[i]))));
    svg += fmt::format(R"(<rect x="{}" y="{}" width="{:.1f}" height="{}" fill="{}"/>)", left, y, std::max(0.0, (shown - lo) * scale), bar_h,
                       i == best ? "#ff7f0e" : "#1f77b4");
    svg += fmt::format(R"(<text x="{:.1f}" y="{}">{}</text>)", left + std::max(0.0, (shown - lo) * scale) + 6, y + 13,
                       std::isfinite(v) ? fmt::format("{:.2f}", v) : "exact");
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace quant::analyze
