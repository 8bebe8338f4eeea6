// The analyze report as files: report.json (the figures, for scripts; keys `sqnr_db`,
// `sensitivity_db`, `clipped_fraction`; an infinite SQNR, paths that agree exactly, is null; an
// output compared whole has `compared_whole_samples` and `differing_samples`) and
// report.html (one self-contained page: inline SVG bar charts of per-tensor SQNR and per-layer
// sensitivity with the worst named, and a table of every tensor; no scripts, no network).
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "analyze/analyze.h"

namespace quant::analyze {

struct ReportContext {
  std::string float_model, quant_model, data;
};

nlohmann::ordered_json report_json(const Report& report, const ReportContext& context);
std::string report_html(const Report& report, const ReportContext& context);

}  // namespace quant::analyze
