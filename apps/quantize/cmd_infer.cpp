// quantize infer MODEL.onnx --input NAME=FILE ... --output-dir DIR [--emulate]
// Runs the float reference interpreter and writes each graph output as DIR/<output name>.npy.
// With --emulate, a QDQ model runs as an integer accelerator runs it (libquant/emulate).
// Nothing is written unless the whole run succeeds; the outputs are published together.
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>

#include <omp.h>

#include "commands.h"
#include "emulate/emulate.h"
#include "interp/interpreter.h"
#include "interp/run_batches.h"
#include "onnx/load.h"
#include "tensor_files.h"
#include "tensorio/npy.h"

namespace quant::app {
namespace {

struct InferOptions {
  std::string model;
  std::vector<std::string> inputs;
  std::vector<std::string> input_shapes, input_values;
  std::string output_dir;
  bool reference = false;
  bool emulate = false;
  int64_t batch_size = 64;
  bool json = false;
};

interp::TensorMap read_inputs(const ir::Graph& graph, const std::vector<std::string>& specs) {
  interp::TensorMap inputs;
  for (const std::string& spec : specs) {
    auto [name, path] = split_name_path(spec);
    if (name.empty()) {
      if (graph.inputs.size() != 1)
        throw Error(ErrorKind::Usage, "--input '" + spec + "': the model has " + std::to_string(graph.inputs.size()) +
                                          " inputs, write NAME=FILE");
      name = graph.inputs[0].name;
    }
    if (inputs.count(name)) throw Error(ErrorKind::Usage, "--input '" + name + "' is given twice");
    inputs[name] = read_tensor_file(path);
  }
  return inputs;
}

// DIR/<output name>.npy per graph output. Names that become the same file name once sanitized
// ("a/b" and "a_b") get "_2", "_3", ... in graph order, so that no output overwrites another.
std::vector<NamedPath> output_paths(const ir::Graph& graph, const std::string& dir) {
  std::vector<NamedPath> paths;
  std::set<std::string> taken;
  for (const ir::ValueInfo& out : graph.outputs) {
    const std::string base = file_name_for(out.name);
    std::string name = base;
    for (int k = 2; !taken.insert(name).second; ++k) name = base + "_" + std::to_string(k);
    if (name != base) spdlog::warn("output '{}' is written as {}.npy: {}.npy is another output's", out.name, name, base);
    paths.push_back({"output '" + out.name + "'", (std::filesystem::path(dir) / (name + ".npy")).string()});
  }
  return paths;
}

// Rewrites the QDQ graph into integer nodes, says how each node runs (one line, each node with
// -v) and returns the same as JSON.
nlohmann::ordered_json emulate_integers(ir::Graph& graph) {
  const std::vector<emulate::NodeExecution> nodes = emulate::rewrite_for_integers(graph);
  spdlog::info("emulating integer execution: {}", emulate::summarize(nodes));
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const emulate::NodeExecution& n : nodes) {
    spdlog::debug("  {} ({}): {}: {}", n.node, n.op_type, emulate::execution_name(n.how), n.detail);
    if (n.how == emulate::Execution::FloatRequantized) spdlog::warn("{} ({}) runs in float, then requantized: {}", n.node, n.op_type, n.detail);
    list.push_back({{"node", n.node}, {"op_type", n.op_type}, {"execution", emulate::execution_name(n.how)}, {"detail", n.detail}});
  }
  return {{"summary", emulate::summarize(nodes)}, {"nodes", list}};
}

// The inputs, when they can run a batch at a time: every one an .npy file with the same number of
// rows N along axis 0, which the graph declares as a free (not fixed) first axis. nullopt otherwise.
struct RowFile {
  std::string name, path;
  tensorio::NpyHeader header;
};
std::optional<std::vector<RowFile>> row_files(const ir::Graph& graph, const std::vector<std::string>& specs) {
  std::vector<RowFile> files;
  for (const std::string& spec : specs) {
    auto [name, path] = split_name_path(spec);
    if (name.empty() && graph.inputs.size() == 1) name = graph.inputs[0].name;
    const ir::ValueInfo* decl = graph.find_input(name);
    if (!decl || path.size() < 4 || path.substr(path.size() - 4) != ".npy") return std::nullopt;
    if (decl->has_shape && (decl->dims.empty() || decl->dims[0].fixed())) return std::nullopt;
    files.push_back({name, path, tensorio::read_npy_header(path)});
    if (files.back().header.shape.empty() || files.back().header.shape[0] != files.front().header.shape[0]) return std::nullopt;
  }
  if (files.empty()) return std::nullopt;
  return files;
}

struct InferResult {
  std::vector<Shape> shapes;  // per graph output
  std::vector<DType> dtypes;
  int64_t batches = 1;
};

// All inputs at once; the outputs written together.
InferResult run_whole(const interp::Interpreter& interpreter, const ir::Graph& graph, const InferOptions& opt, const std::vector<NamedPath>& paths) {
  const interp::TensorMap outputs = interpreter.run(read_inputs(graph, opt.inputs));
  std::vector<std::pair<std::string, std::string>> files;
  InferResult r;
  for (size_t i = 0; i < paths.size(); ++i) {
    const Tensor& value = outputs.at(graph.outputs[i].name);
    files.emplace_back(paths[i].path, tensorio::serialize_npy(value));
    r.shapes.push_back(value.shape());
    r.dtypes.push_back(value.dtype());
  }
  write_files_atomically(files);
  return r;
}

// --batch-size rows at a time: memory holds one batch, whatever the number of rows. Each output
// must follow the inputs' first axis (else nullopt, nothing written: the caller runs it whole).
std::optional<InferResult> run_streamed(const interp::Interpreter& interpreter, const ir::Graph& graph, const std::vector<RowFile>& inputs,
                                        int64_t batch_size, const std::vector<NamedPath>& paths) {
  const int64_t rows = inputs.front().header.shape[0];
  std::vector<std::string> targets;
  for (const NamedPath& p : paths) targets.push_back(p.path);
  StagedFiles staged(targets);
  InferResult r;
  r.batches = 0;
  // As many batches as threads at a time, side by side (interp::run_batches), appended in order.
  const int64_t side_by_side = std::max(1, omp_get_max_threads());
  for (int64_t group = 0; group < rows; group += side_by_side * batch_size) {
    std::vector<interp::TensorMap> batches;
    for (int64_t first = group; first < rows && first < group + side_by_side * batch_size; first += batch_size) {
      batches.emplace_back();
      for (const RowFile& f : inputs) batches.back()[f.name] = tensorio::read_npy_rows(f.path, f.header, first, std::min(batch_size, rows - first));
    }
    const std::vector<interp::TensorMap> results = interp::run_batches(interpreter, batches);
    for (size_t b = 0; b < results.size(); ++b, ++r.batches) {
      const int64_t first = group + static_cast<int64_t>(b) * batch_size;
      const int64_t count = std::min(batch_size, rows - first);
      const interp::TensorMap& outputs = results[b];
      for (size_t i = 0; i < paths.size(); ++i) {
        const std::string& name = graph.outputs[i].name;
        const Tensor& value = outputs.at(name);
        if (first == 0) {
          if (value.rank() == 0 || value.dim(0) != count) return std::nullopt;
          Shape whole = value.shape();
          whole[0] = rows;
          r.shapes.push_back(whole);
          r.dtypes.push_back(value.dtype());
          const std::string header = tensorio::npy_header(value.dtype(), whole);
          staged.append(i, header.data(), header.size());
        } else {
          Shape expected = r.shapes[i];
          expected[0] = count;
          if (value.shape() != expected || value.dtype() != r.dtypes[i])
            throw Error(ErrorKind::Data, "output '" + name + "' is " + value.describe() + " for rows " + std::to_string(first) + " to " +
                                             std::to_string(first + count - 1) + ", but had another shape or type for the first batch (run with --batch-size 0)");
        }
        staged.append(i, reinterpret_cast<const char*>(value.raw()), value.nbytes());
      }
    }
  }
  staged.commit();
  return r;
}

void run_infer(const InferOptions& opt) {
  if (opt.batch_size < 0) throw Error(ErrorKind::Usage, "--batch-size must be 0 (all rows at once) or more");
  ir::Model model = onnx_io::load_model(opt.model);
  apply_input_shapes(model.graph, opt.input_shapes);
  apply_input_values(model.graph, opt.input_values);
  // Where each output goes, checked before running: never over an input file or a non-regular file.
  const std::vector<NamedPath> paths = output_paths(model.graph, opt.output_dir);
  std::vector<NamedPath> input_files{{"the model", opt.model}};
  for (const std::string& spec : opt.inputs) input_files.push_back({"--input", split_name_path(spec).second});
  require_distinct_outputs(input_files, paths);
  if (std::filesystem::is_directory(opt.output_dir))
    for (const NamedPath& p : paths) require_writable_target(p.path);
  nlohmann::ordered_json emulation;
  if (opt.emulate) emulation = emulate_integers(model.graph);
  const interp::Interpreter interpreter(model.graph, {.reference = opt.reference});
  std::error_code ec;
  const bool created = std::filesystem::create_directories(opt.output_dir, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create the output folder: " + ec.message(), {.file = opt.output_dir});

  // All outputs are published together: a failure or a kill leaves none of them (nor the folder,
  // when this run made it).
  const auto start = std::chrono::steady_clock::now();
  std::optional<InferResult> result;
  try {
    const std::optional<std::vector<RowFile>> rows = opt.batch_size > 0 ? row_files(model.graph, opt.inputs) : std::nullopt;
    if (rows && rows->front().header.shape[0] > opt.batch_size) {
      result = run_streamed(interpreter, model.graph, *rows, opt.batch_size, paths);
      if (!result) spdlog::info("an output does not follow the inputs' first axis: running all {} rows at once", rows->front().header.shape[0]);
    }
    if (!result) result = run_whole(interpreter, model.graph, opt, paths);
  } catch (...) {
    if (created) std::filesystem::remove(opt.output_dir, ec);  // only when empty
    throw;
  }
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("ran {} nodes in {:.2f} ms{}", model.graph.nodes.size(), ms,
               result->batches > 1 ? " (" + std::to_string(result->batches) + " batches of up to " + std::to_string(opt.batch_size) + " rows)" : "");

  nlohmann::ordered_json outs = nlohmann::ordered_json::array();
  std::vector<std::string> written;
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string& name = model.graph.outputs[i].name;
    outs.push_back({{"name", name}, {"path", paths[i].path}, {"dtype", dtype_name(result->dtypes[i])}, {"shape", result->shapes[i]}});
    spdlog::info("{} {}{} -> {}", name, dtype_name(result->dtypes[i]), shape_to_string(result->shapes[i]), paths[i].path);
    written.push_back(paths[i].path);
  }
  nlohmann::ordered_json json = {{"command", "infer"}, {"model", opt.model}, {"milliseconds", ms}, {"batches", result->batches}, {"outputs", outs}};
  if (opt.emulate) json["emulation"] = emulation;
  print_result(opt.json, json, written);
}

}  // namespace

void register_infer(CLI::App& app) {
  auto opt = std::make_shared<InferOptions>();
  CLI::App* cmd = app.add_subcommand("infer", "Run a model in quant's reference interpreter (float, or --emulate integer)");
  cmd->add_option("model", opt->model, "ONNX model")->required();
  cmd->add_option("--input,-i", opt->inputs, "NAME=FILE (.npy or .pb); FILE alone for a one-input model")->required();
  cmd->add_option("--output-dir,-o", opt->output_dir, "Folder for the outputs, one <output name>.npy each")->required();
  cmd->add_option("--input-shape", opt->input_shapes, "NAME:D0,D1,... fixes a dynamic input shape");
  cmd->add_option("--input-value", opt->input_values, kInputValueHelp);
  cmd->add_flag("--reference", opt->reference, "Use the plain nested-loop kernels (slow; for checking)");
  cmd->add_option("--batch-size", opt->batch_size,
                  "Rows of the .npy inputs run at a time (default 64; 0: all at once): memory holds one batch; outputs equal up to float rounding");
  cmd->add_flag("--emulate", opt->emulate,
                "Run a quantized (QDQ) model as an integer accelerator does: integer sums, fixed-point requantization, "
                "tables for element-wise functions (docs/emulate.md)");
  add_json_flag(*cmd, opt->json);
  cmd->callback([opt] { run_infer(*opt); });
}

}  // namespace quant::app
