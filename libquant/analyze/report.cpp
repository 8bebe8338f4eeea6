#include "analyze/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace quant::analyze {

namespace {

nlohmann::ordered_json db(double v) { return std::isfinite(v) ? nlohmann::ordered_json(std::round(v * 100) / 100) : nlohmann::ordered_json(nullptr); }

std::string escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string format(const char* fmt, double v) {
  char text[64];
  std::snprintf(text, sizeof text, fmt, v);
  return text;
}
std::string db_text(double v) { return std::isfinite(v) ? format("%.1f dB", v) : "exact"; }

// Horizontal bars, one per (label, dB) row, scaled to 0..max_db (infinite: full, marked "exact").
// Rows under `warn_db` are drawn in red.
std::string bar_chart(const std::vector<std::pair<std::string, double>>& rows, double warn_db) {
  constexpr int kLabel = 330, kBar = 420, kRow = 18;
  double max_db = 20;
  for (const auto& [label, v] : rows)
    if (std::isfinite(v)) max_db = std::max(max_db, v);
  max_db = std::ceil(max_db / 10) * 10;
  const int height = kRow * static_cast<int>(rows.size()) + 24;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(kLabel + kBar + 90) + "\" height=\"" +
                    std::to_string(height) + "\" font-family=\"sans-serif\" font-size=\"11\">\n";
  for (int t = 0; t <= 4; ++t) {
    const double x = kLabel + kBar * t / 4.0;
    svg += format("<line x1=\"%.1f\" y1=\"0\" ", x) + format("x2=\"%.1f\" ", x) + "y2=\"" + std::to_string(height - 16) +
           "\" stroke=\"#ddd\"/>" + format("<text x=\"%.1f\" ", x) + "y=\"" + std::to_string(height - 4) + "\" text-anchor=\"middle\">" +
           format("%.0f", max_db * t / 4) + "</text>\n";
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& [label, v] = rows[i];
    const int y = static_cast<int>(i) * kRow;
    const double w = std::isfinite(v) ? std::max(0.0, v) / max_db * kBar : kBar;
    const char* colour = std::isfinite(v) && v < warn_db ? "#c0392b" : "#2e86c1";
    std::string shown = label.size() > 48 ? label.substr(0, 45) + "..." : label;
    svg += "<text x=\"" + std::to_string(kLabel - 6) + "\" y=\"" + std::to_string(y + 13) + "\" text-anchor=\"end\">" + escaped(shown) +
           "</text><rect x=\"" + std::to_string(kLabel) + "\" y=\"" + std::to_string(y + 3) + format("\" width=\"%.1f\"", w) +
           " height=\"" + std::to_string(kRow - 5) + "\" fill=\"" + colour + "\"/><text x=\"" + format("%.1f", kLabel + w + 4) + "\" y=\"" +
           std::to_string(y + 13) + "\">" + db_text(v) + "</text>\n";
  }
  return svg + "</svg>\n";
}

// The `n` lowest by value, lowest first.
template <typename Row, typename Key>
std::vector<const Row*> worst(const std::vector<Row>& rows, Key key, size_t n) {
  std::vector<const Row*> out;
  for (const Row& r : rows) out.push_back(&r);
  std::stable_sort(out.begin(), out.end(), [&](const Row* a, const Row* b) { return key(*a) < key(*b); });
  if (out.size() > n) out.resize(n);
  return out;
}

}  // namespace

nlohmann::ordered_json report_json(const Report& report, const ReportContext& context) {
  nlohmann::ordered_json out;
  out["format"] = "quant-analyze";
  out["version"] = 1;
  out["float_model"] = context.float_model;
  out["quantized_model"] = context.quant_model;
  out["data"] = context.data;
  out["samples"] = report.samples;
  nlohmann::ordered_json outputs = nlohmann::ordered_json::array();
  for (const OutputRow& o : report.outputs) {
    nlohmann::ordered_json j{{"name", o.name}};
    if (o.error.count > 0)
      j.update({{"sqnr_db", db(o.error.sqnr_db())}, {"cosine", o.error.cosine()}, {"max_abs_error", o.error.max_abs}, {"rms_error", o.error.rms()}});
    if (o.whole_samples > 0) j.update({{"compared_whole_samples", o.whole_samples}, {"differing_samples", o.differing_samples}});
    outputs.push_back(j);
  }
  out["outputs"] = outputs;
  if (report.top1_agreement) {
    out["top1_agreement"] = *report.top1_agreement;
    out["accuracy_float"] = *report.accuracy_float;
    out["accuracy_quantized"] = *report.accuracy_quant;
  }
  nlohmann::ordered_json tensors = nlohmann::ordered_json::array();
  for (const TensorRow& t : report.tensors) {
    nlohmann::ordered_json j{{"name", t.name}, {"producer", t.producer}, {"op_type", t.op_type}, {"quantized", !t.dtype.empty()}};
    if (!t.dtype.empty()) j["dtype"] = t.dtype;
    j["sqnr_db"] = db(t.error.sqnr_db());
    j["cosine"] = t.error.cosine();
    j["max_abs_error"] = t.error.max_abs;
    j["rms_error"] = t.error.rms();
    j["seen_min"] = t.error.seen_min;
    j["seen_max"] = t.error.seen_max;
    if (!t.dtype.empty()) {
      j["range_min"] = t.range_lo;
      j["range_max"] = t.range_hi;
      j["clipped_fraction"] = t.error.clipped_fraction();
    }
    tensors.push_back(j);
  }
  out["tensors"] = tensors;
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (const LayerRow& l : report.layers) layers.push_back({{"node", l.node}, {"op_type", l.op_type}, {"sensitivity_db", db(l.sensitivity_db)}});
  out["layers"] = layers;
  return out;
}

std::string report_html(const Report& report, const ReportContext& context) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>quant analyze: " + escaped(context.quant_model) +
                  "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;font-size:12px}"
                  "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:first-child,th:first-child{text-align:left}"
                  ".bad{color:#c0392b;font-weight:bold}</style></head><body>\n";
  h += "<h1>Quantization analysis</h1>\n<p>Float model <code>" + escaped(context.float_model) + "</code>, quantized model <code>" +
       escaped(context.quant_model) + "</code>, " + std::to_string(report.samples) + " samples of <code>" + escaped(context.data) + "</code>.</p>\n";
  h += "<h2>Outputs</h2>\n<table><tr><th>output</th><th>SQNR</th><th>cosine</th><th>max abs error</th><th>RMS error</th><th>compared whole "
       "(integer, or shapes differ)</th></tr>\n";
  for (const OutputRow& o : report.outputs) {
    h += "<tr><td>" + escaped(o.name) + "</td>";
    if (o.error.count > 0)
      h += "<td>" + db_text(o.error.sqnr_db()) + "</td><td>" + format("%.6f", o.error.cosine()) + "</td><td>" + format("%.4g", o.error.max_abs) +
           "</td><td>" + format("%.4g", o.error.rms()) + "</td>";
    else
      h += "<td>-</td><td>-</td><td>-</td><td>-</td>";
    h += "<td>" + (o.whole_samples > 0 ? escaped(o.whole_comparison()) : "-") + "</td></tr>\n";
  }
  h += "</table>\n";
  if (report.top1_agreement)
    h += "<p>Top-1 agreement with float: <b>" + format("%.2f%%", *report.top1_agreement * 100) + "</b>; accuracy float " +
         format("%.2f%%", *report.accuracy_float * 100) + ", quantized " + format("%.2f%%", *report.accuracy_quant * 100) + ".</p>\n";
  if (!report.layers.empty()) {
    h += "<h2>Per-layer sensitivity</h2>\n<p>Output SQNR with only this layer quantized (everything else float): a layer's own error, "
         "apart from what it inherits. Lowest first: ";
    for (const LayerRow* l : worst(report.layers, [](const LayerRow& r) { return r.sensitivity_db; }, 3))
      h += "<span class=\"bad\">" + escaped(l->node) + "</span> (" + db_text(l->sensitivity_db) + ") ";
    h += "</p>\n";
    std::vector<std::pair<std::string, double>> rows;
    for (const LayerRow& l : report.layers) rows.emplace_back(l.node + " (" + l.op_type + ")", l.sensitivity_db);
    h += bar_chart(rows, 40);
  }
  h += "<h2>Per-tensor SQNR</h2>\n<p>Each tensor on the quantized path against float, in graph order (red: below 30 dB). Worst: ";
  for (const TensorRow* t : worst(report.tensors, [](const TensorRow& r) { return r.error.sqnr_db(); }, 3))
    h += "<span class=\"bad\">" + escaped(t->name) + "</span> (" + db_text(t->error.sqnr_db()) + ") ";
  h += "</p>\n";
  std::vector<std::pair<std::string, double>> rows;
  for (const TensorRow& t : report.tensors) rows.emplace_back(t.name, t.error.sqnr_db());
  h += bar_chart(rows, 30);
  h += "<h2>All tensors</h2>\n<table><tr><th>tensor</th><th>op</th><th>type</th><th>SQNR</th><th>cosine</th><th>max abs error</th>"
       "<th>range used</th><th>range seen</th><th>clipped</th></tr>\n";
  for (const TensorRow& t : report.tensors) {
    const bool q = !t.dtype.empty();
    h += "<tr><td>" + escaped(t.name) + "</td><td>" + escaped(t.op_type) + "</td><td>" + (q ? t.dtype : "float") + "</td><td>" +
         db_text(t.error.sqnr_db()) + "</td><td>" + format("%.6f", t.error.cosine()) + "</td><td>" + format("%.4g", t.error.max_abs) + "</td><td>" +
         (q ? format("[%.4g, ", t.range_lo) + format("%.4g]", t.range_hi) : "") + "</td><td>" + format("[%.4g, ", t.error.seen_min) +
         format("%.4g]", t.error.seen_max) + "</td><td" + (q && t.error.clipped > 0 ? " class=\"bad\"" : "") + ">" +
         (q ? format("%.4f%%", t.error.clipped_fraction() * 100) : "") + "</td></tr>\n";
  }
  return h + "</table>\n</body></html>\n";
}

}  // namespace quant::analyze
