// The subcommands of `quantize`. Each file registers its options on a CLI11 subcommand and runs it;
// errors are thrown as quant::Error and turned into exit codes in main.cpp.
#pragma once
#include <CLI/CLI.hpp>

namespace quant::app {

void register_infer(CLI::App& app);
void register_parse_model(CLI::App& app);
void register_ops(CLI::App& app);
void register_optimize(CLI::App& app);
void register_calibrate(CLI::App& app);

}  // namespace quant::app
