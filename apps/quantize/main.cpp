// quantize: post-training quantization of ONNX models. main() wires the subcommands, sets up
// logging and turns every quant::Error into one message on stderr and an exit code.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <optional>

#include <omp.h>

#include "commands.h"
#include "core/file_io.h"
#include "core/memory_limit.h"
#include "exit_codes.h"
#include "onnx/schema.h"
#include "version.h"

namespace {

// SIGINT/SIGTERM/SIGHUP: remove the temporary files of writes in progress, then die of the signal
// as the default action would (the exit status says which).
extern "C" void on_terminating_signal(int sig) {
  quant::remove_temporary_files_now();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// Ends a successful run without the static destructors: ONNX's schema registry of every opset and
// oneDNN's caches took 2-4 ms to tear down, a tenth of a small model's whole calibration (smallcnn,
// 16 samples: 31-34 -> 30 ms). Every output file is written and renamed by now; the streams are
// flushed here. Builds with AddressSanitizer exit normally, so that its leak check still runs.
[[noreturn]] void exit_done(int code) {
  std::cout.flush();
  std::cerr.flush();
  spdlog::default_logger()->flush();
  std::fflush(nullptr);
#if defined(__SANITIZE_ADDRESS__)
  std::exit(code);
#else
  std::_Exit(code);
#endif
}

}  // namespace

int main(int argc, char** argv) {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, on_terminating_signal);
  // Logs go to stderr so that stdout carries only results (tables, JSON).
  spdlog::set_default_logger(spdlog::stderr_color_mt("quantize"));
  spdlog::set_pattern("%^[%l]%$ %v");

  CLI::App app{"quantize: post-training quantization of ONNX models", "quantize"};
  app.require_subcommand(1);
  int verbose = 0;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "More log output (-vv for trace)");
  app.add_flag("-q,--quiet", quiet, "Only errors on stderr");
  std::string max_memory;
  app.add_option("--max-memory", max_memory,
                 "Most tensor memory held at once, e.g. 4G or 512M (default: the machine's RAM); a model that needs more is refused")
      ->type_name("SIZE");
  int threads = 0;
  app.add_option("--threads", threads,
                 "Threads for calibration, inference and analysis (default: all cores); results do not depend on it")
      ->check(CLI::Range(1, 4096))
      ->type_name("N");
  // Global options may also follow the subcommand: `quantize infer ... -v`.
  app.fallthrough();
  app.set_version_flag("--version", std::function<std::string()>(quant::app::version_text), "Print quant's version and its libraries' and exit");
  std::optional<quant::onnx_io::SchemaWarmup> schemas;
  app.parse_complete_callback([&] {
    // Every command but ops and merge-stats reads a model (and then looks up its ops' schemas).
    if (!app.got_subcommand("ops") && !app.got_subcommand("merge-stats")) schemas.emplace();
    spdlog::set_level(quiet ? spdlog::level::err
                            : verbose >= 2 ? spdlog::level::trace
                            : verbose == 1 ? spdlog::level::debug
                                           : spdlog::level::info);
    if (!max_memory.empty()) quant::set_tensor_memory_limit(quant::parse_byte_size(max_memory), "--max-memory " + max_memory);
    // OpenMP runs quant's parallel loops and oneDNN's kernels (built on its OpenMP runtime).
    if (threads > 0) omp_set_num_threads(threads);
  });
  quant::app::register_optimize(app);
  quant::app::register_calibrate(app);
  quant::app::register_merge_stats(app);
  quant::app::register_prepare(app);
  quant::app::register_infer(app);
  quant::app::register_parse_model(app);
  quant::app::register_ops(app);
  quant::app::register_analyze(app);
  quant::app::register_export(app);
  quant::app::register_sweep(app);

  // `quantize MODEL.onnx ...` is short for `quantize optimize MODEL.onnx ...`.
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0].size() > 5 && args[0].compare(args[0].size() - 5, 5, ".onnx") == 0) args.insert(args.begin(), "optimize");
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments in reverse order
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : quant::app::exit_code_for(quant::ErrorKind::Usage);
  } catch (const quant::Error& e) {
    std::cerr << "quantize: error: " << e.what() << "\n";
    return quant::app::exit_code_for(e.kind());
  } catch (const std::bad_alloc&) {
    std::cerr << "quantize: error: out of memory\n";
    return quant::app::exit_code_for(quant::ErrorKind::Internal);
  } catch (const std::exception& e) {
    std::cerr << "quantize: internal error: " << e.what() << "\n";
    return quant::app::exit_code_for(quant::ErrorKind::Internal);
  }
  schemas.reset();  // its thread done before exit_done (whose sanitized build runs the static destructors)
  exit_done(quant::app::kExitOk);
}
