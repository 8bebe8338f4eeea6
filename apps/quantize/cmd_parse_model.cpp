// quantize parse-model MODEL.onnx [--json] [--layers]
// What a model takes and gives (names, types, shapes), its opsets, how many nodes of each op type
// (and whether quant supports each), and with --layers every node's name, op and output names:
// the names a model script refers to. Subgraphs (If branches) are described one by one: their
// node counts by op, their outputs and the outer values they read.
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "onnx/load.h"
#include "ops/op_table.h"
#include "quant_info.h"

namespace quant::app {
namespace {

struct ParseModelOptions {
  std::string model;
  bool json = false;
  bool layers = false;
};

nlohmann::json value_json(const ir::ValueInfo& v) {
  nlohmann::json dims = nlohmann::json::array();
  for (const ir::Dim& d : v.dims) dims.push_back(d.fixed() ? nlohmann::json(d.size) : nlohmann::json(d.symbol.empty() ? "?" : d.symbol));
  return {{"name", v.name}, {"dtype", dtype_name(v.dtype)}, {"shape", v.has_shape ? dims : nlohmann::json(nullptr)}};
}

std::string join(const std::vector<std::string>& items) {
  std::string s;
  for (const std::string& i : items) s += (s.empty() ? "" : ", ") + i;
  return s;
}

// Every subgraph of the graph's nodes, depth first.
struct Subgraph {
  std::string path;  // "If_0.then_branch", nested ones joined by '/'
  const ir::Node* owner;
  std::string attribute;
  const ir::Graph* graph;
};

void collect_subgraphs(const ir::Graph& g, const std::string& prefix, std::vector<Subgraph>& out) {
  for (const ir::Node& n : g.nodes)
    for (const auto& [key, a] : n.attributes)
      if (a.kind == ir::AttrKind::Graph && a.g) {
        const std::string path = prefix + n.name + "." + key;
        out.push_back({path, &n, key, a.g.get()});
        collect_subgraphs(*a.g, path + "/", out);
      }
}

std::map<std::string, int> count_ops(const ir::Graph& g) {
  std::map<std::string, int> counts;
  for (const ir::Node& n : g.nodes) counts[n.domain.empty() ? n.op_type : n.domain + "." + n.op_type]++;
  return counts;
}

void run_parse_model(const ParseModelOptions& opt) {
  const ir::Model model = onnx_io::load_model(opt.model);
  const ir::Graph& g = model.graph;
  const std::map<std::string, int> op_counts = count_ops(g);
  std::vector<Subgraph> subgraphs;
  collect_subgraphs(g, "", subgraphs);
  int64_t parameters = 0, parameter_bytes = 0;
  std::vector<const ir::Graph*> graphs{&g};
  for (const Subgraph& sg : subgraphs) graphs.push_back(sg.graph);
  for (const ir::Graph* each : graphs)
    for (const auto& [name, t] : each->initializers) {
      parameters += t.numel();
      parameter_bytes += static_cast<int64_t>(t.nbytes());
    }
  auto supported = [&](const std::string& op) {
    for (const ir::Node& n : g.nodes)
      if ((n.domain.empty() ? n.op_type : n.domain + "." + n.op_type) == op) return ops::find_op(n.domain, n.op_type) != nullptr;
    return false;
  };

  if (opt.json) {
    nlohmann::json out;
    out["model"] = opt.model;
    out["ir_version"] = model.ir_version;
    out["producer"] = model.producer_name + " " + model.producer_version;
    out["opsets"] = nlohmann::json::object();
    for (const auto& [domain, version] : model.opsets) out["opsets"][domain.empty() ? "ai.onnx" : domain] = version;
    for (const ir::ValueInfo& v : g.inputs) out["inputs"].push_back(value_json(v));
    for (const ir::ValueInfo& v : g.outputs) out["outputs"].push_back(value_json(v));
    out["node_count"] = g.nodes.size();
    for (const auto& [op, count] : op_counts) out["op_counts"][op] = {{"count", count}, {"supported", supported(op)}};
    out["parameters"] = {{"count", parameters}, {"bytes", parameter_bytes}};
    out["subgraphs"] = nlohmann::json::array();
    for (const Subgraph& sg : subgraphs) {
      nlohmann::json j{{"path", sg.path}, {"node", sg.owner->name}, {"op_type", sg.owner->op_type}, {"attribute", sg.attribute},
                       {"node_count", sg.graph->nodes.size()}, {"op_counts", count_ops(*sg.graph)}, {"reads_outer", ir::captured_values(*sg.graph)}};
      for (const ir::ValueInfo& v : sg.graph->outputs) j["outputs"].push_back(value_json(v));
      out["subgraphs"].push_back(j);
    }
    const nlohmann::ordered_json q = quant_info(g);
    if (!q.empty()) out["quantization"] = nlohmann::json::parse(q.dump());
    if (opt.layers) {
      out["layers"] = nlohmann::json::array();
      for (const ir::Node& n : g.nodes) out["layers"].push_back({{"name", n.name}, {"op_type", n.op_type}, {"inputs", n.inputs}, {"outputs", n.outputs}});
    }
    std::cout << out.dump(2) << "\n";
    return;
  }

  std::cout << "Model: " << opt.model << "\n";
  std::cout << "  producer " << model.producer_name << " " << model.producer_version << ", IR version " << model.ir_version << ", opsets:";
  for (const auto& [domain, version] : model.opsets) std::cout << " " << (domain.empty() ? "ai.onnx" : domain) << "=" << version;
  std::cout << "\nInputs:\n";
  for (const ir::ValueInfo& v : g.inputs) std::cout << "  " << v.name << "  " << dtype_name(v.dtype) << v.shape_string() << "\n";
  std::cout << "Outputs:\n";
  for (const ir::ValueInfo& v : g.outputs) std::cout << "  " << v.name << "  " << dtype_name(v.dtype) << v.shape_string() << "\n";
  std::cout << "Nodes: " << g.nodes.size() << "\n";
  for (const auto& [op, count] : op_counts)
    std::cout << "  " << op << " x" << count << (supported(op) ? "" : "   (not supported by quant)") << "\n";
  std::cout << "Parameters: " << parameters << " (" << parameter_bytes << " bytes)\n";
  if (!subgraphs.empty()) std::cout << "Subgraphs:\n";
  for (const Subgraph& sg : subgraphs) {
    std::string ops, outs;
    for (const auto& [op, count] : count_ops(*sg.graph)) ops += (ops.empty() ? "" : ", ") + op + " x" + std::to_string(count);
    for (const ir::ValueInfo& v : sg.graph->outputs) outs += (outs.empty() ? "" : ", ") + v.name;
    std::cout << "  " << sg.path << " (" << sg.owner->op_type << "): " << sg.graph->nodes.size() << " nodes (" << ops << "); outputs: " << outs
              << "; reads from outside: " << join(ir::captured_values(*sg.graph)) << "\n";
  }
  const nlohmann::ordered_json q = quant_info(g);
  if (!q.empty()) {
    std::cout.flush();
    print_quant_info(q);
    std::fflush(stdout);
  }
  if (opt.layers) {
    std::cout << "Layers (node name, op, outputs):\n";
    for (const ir::Node& n : g.nodes) std::cout << "  " << n.name << "  " << n.op_type << "  -> " << join(n.outputs) << "\n";
  }
}

}  // namespace

void register_parse_model(CLI::App& app) {
  auto opt = std::make_shared<ParseModelOptions>();
  CLI::App* cmd = app.add_subcommand("parse-model", "Describe a model: inputs, outputs, opsets, ops, layer names");
  cmd->add_option("model", opt->model, "ONNX model")->required();
  cmd->add_flag("--json", opt->json, "Print JSON (nothing else goes to stdout)");
  cmd->add_flag("--layers", opt->layers, "List every node's name, op type and output names");
  cmd->callback([opt] { run_parse_model(*opt); });
}

}  // namespace quant::app
