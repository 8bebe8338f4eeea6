// quantize infer MODEL.onnx --input NAME=FILE ... --output-dir DIR
// Runs the float reference interpreter and writes each graph output as DIR/<output name>.npy.
// Nothing is written unless the whole run succeeds.
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include "commands.h"
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

void run_infer(const InferOptions& opt) {
  ir::Model model = onnx_io::load_model(opt.model);
  apply_input_shapes(model.graph, opt.input_shapes);
  apply_input_values(model.graph, opt.input_values);
  const interp::Interpreter interpreter(model.graph, {.reference = opt.reference});
  const interp::TensorMap inputs = read_inputs(model.graph, opt.inputs);

  const auto start = std::chrono::steady_clock::now();
  const interp::TensorMap outputs = interpreter.run(inputs);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("ran {} nodes in {:.2f} ms", model.graph.nodes.size(), ms);

  std::error_code ec;
  std::filesystem::create_directories(opt.output_dir, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create the output folder: " + ec.message(), {.file = opt.output_dir});
  for (const ir::ValueInfo& out : model.graph.outputs) {
    const std::string path = (std::filesystem::path(opt.output_dir) / (file_name_for(out.name) + ".npy")).string();
    tensorio::write_npy(path, outputs.at(out.name));
    spdlog::info("{} {} -> {}", out.name, outputs.at(out.name).describe(), path);
  }
}

}  // namespace

void register_infer(CLI::App& app) {
  auto opt = std::make_shared<InferOptions>();
  CLI::App* cmd = app.add_subcommand("infer", "Run the float reference interpreter on a model");
  cmd->add_option("model", opt->model, "ONNX model")->required();
  cmd->add_option("--input,-i", opt->inputs, "NAME=FILE (.npy or .pb); FILE alone for a one-input model")->required();
  cmd->add_option("--output-dir,-o", opt->output_dir, "Folder for the outputs, one <output name>.npy each")->required();
  cmd->add_option("--input-shape", opt->input_shapes, "NAME:D0,D1,... fixes a dynamic input shape");
  cmd->add_option("--input-value", opt->input_values, kInputValueHelp);
  cmd->add_flag("--reference", opt->reference, "Use the plain nested-loop kernels (slow; for checking)");
  cmd->callback([opt] { run_infer(*opt); });
}

}  // namespace quant::app
