// The subcommands of `quantize`. Each file registers its options on a CLI11 subcommand and runs it;
// errors are thrown as quant::Error and turned into exit codes in main.cpp.
#pragma once
#include <CLI/CLI.hpp>

#include <nlohmann/json.hpp>

#include "core/file_io.h"
#include "onnx/save.h"
#include "prepare/prepare.h"

namespace quant::app {

void register_infer(CLI::App& app);
void register_parse_model(CLI::App& app);
void register_ops(CLI::App& app);
void register_optimize(CLI::App& app);
void register_calibrate(CLI::App& app);
void register_prepare(CLI::App& app);
void register_analyze(CLI::App& app);
void register_export(CLI::App& app);
void register_sweep(CLI::App& app);
void register_merge_stats(CLI::App& app);

// Exports of a quantized model's parameters (cmd_export.cpp), for `export` and `optimize`.
struct ExportOptions {
  std::string encodings, trt_cache;  // "" = not asked for
};
// Adds <prefix>encodings and <prefix>trt-cache ("--" for export, "--export-" for optimize).
void add_export_options(CLI::App& cmd, ExportOptions& opt, const std::string& prefix);
std::vector<NamedPath> export_outputs(const ExportOptions& opt);
// The asked-for files (path, text) from the QDQ graph; notes on what a format cannot carry are
// logged as warnings. Throws Usage when the graph has no Q/DQ nodes.
std::vector<std::pair<std::string, std::string>> export_files(const ir::Graph& qdq, const ExportOptions& opt);

// What the commands write and how they report it (outputs.cpp).
// A model the run writes and the external-data file that may go beside it
// (onnx_io::external_data_path), for require_distinct_outputs; empty for an empty path.
std::vector<NamedPath> model_outputs(const std::string& what, const std::string& path);
// require_writable_target for a model and its external-data file.
void require_writable_model(const std::string& path);
// Adds --external-data (initializers of 1 KiB or more in `<model>.data`) to a command writing a model.
void add_external_data_flag(CLI::App& cmd, onnx_io::ExternalData& mode);

// --json on a command that writes files: one JSON document on stdout saying what it did
// ({"command", "files": [...], ...}); logs stay on stderr.
void add_json_flag(CLI::App& cmd, bool& json);
// Prints `result` when `json`, with "files": the written files' paths and sizes.
void print_result(bool json, nlohmann::ordered_json result, const std::vector<std::string>& paths);
// The paths of a (path, bytes) list, for print_result.
std::vector<std::string> paths_of(const std::vector<std::pair<std::string, std::string>>& files);

// Runs the preparation stage on a loaded model and logs what it did (cmd_prepare.cpp).
prepare::PrepareReport prepare_and_log(ir::Model& model, const prepare::PrepareOptions& options);

}  // namespace quant::app
