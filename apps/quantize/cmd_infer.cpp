// quantize infer MODEL.onnx --input NAME=FILE ... --output-dir DIR [--emulate]
// Runs the float reference interpreter and writes each graph output as DIR/<output name>.npy.
// With --emulate, a QDQ model runs as an integer accelerator runs it (libquant/emulate).
// Nothing is written unless the whole run succeeds; the outputs are published together.
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <set>

#include "commands.h"
#include "emulate/emulate.h"
#include "interp/interpreter.h"
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

void run_infer(const InferOptions& opt) {
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
  const interp::TensorMap inputs = read_inputs(model.graph, opt.inputs);

  const auto start = std::chrono::steady_clock::now();
  const interp::TensorMap outputs = interpreter.run(inputs);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("ran {} nodes in {:.2f} ms", model.graph.nodes.size(), ms);

  std::error_code ec;
  std::filesystem::create_directories(opt.output_dir, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create the output folder: " + ec.message(), {.file = opt.output_dir});
  // All outputs published together: a failure or a kill leaves none of them.
  std::vector<std::pair<std::string, std::string>> files;
  nlohmann::ordered_json outs = nlohmann::ordered_json::array();
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string& name = model.graph.outputs[i].name;
    const Tensor& value = outputs.at(name);
    files.emplace_back(paths[i].path, tensorio::serialize_npy(value));
    outs.push_back({{"name", name}, {"path", paths[i].path}, {"dtype", dtype_name(value.dtype())}, {"shape", value.shape()}});
    spdlog::info("{} {} -> {}", name, value.describe(), paths[i].path);
  }
  write_files_atomically(files);
  nlohmann::ordered_json result = {{"command", "infer"}, {"model", opt.model}, {"milliseconds", ms}, {"outputs", outs}};
  if (opt.emulate) result["emulation"] = emulation;
  print_result(opt.json, result, paths_of(files));
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
  cmd->add_flag("--emulate", opt->emulate,
                "Run a quantized (QDQ) model as an integer accelerator does: integer sums, fixed-point requantization, "
                "tables for element-wise functions (docs/emulate.md)");
  add_json_flag(*cmd, opt->json);
  cmd->callback([opt] { run_infer(*opt); });
}

}  // namespace quant::app
