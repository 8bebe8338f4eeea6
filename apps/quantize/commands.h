// The subcommands of `quantize`. Each file registers its options on a CLI11 subcommand and runs it;
// errors are thrown as quant::Error and turned into exit codes in main.cpp.
#pragma once
#include <CLI/CLI.hpp>

#include "prepare/prepare.h"

namespace quant::app {

void register_infer(CLI::App& app);
void register_parse_model(CLI::App& app);
void register_ops(CLI::App& app);
void register_optimize(CLI::App& app);
void register_calibrate(CLI::App& app);
void register_prepare(CLI::App& app);

// Runs the preparation stage on a loaded model and logs what it did (cmd_prepare.cpp).
prepare::PrepareReport prepare_and_log(ir::Model& model, const prepare::PrepareOptions& options);

}  // namespace quant::app
