#include "onnx/load.h"

#include <filesystem>
#include <limits>
#include <unordered_set>

#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <spdlog/spdlog.h>

#include "core/file_io.h"
#include "onnx/attribute_proto.h"
#include "onnx/model_proto.h"
#include "onnx/schema.h"
#include "onnx/tensor_proto.h"

namespace quant::onnx_io {
namespace {

bool is_onnx_domain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

// Subgraphs nest at most this deep (a bound on recursion for hostile files).
constexpr int kMaxSubgraphDepth = 32;

// Node names across the main graph and its subgraphs, so that generated names stay unique.
struct NodeNames {
  std::unordered_set<std::string> used;
  int next = 0;
};

void collect_node_names(const onnx::GraphProto& g, NodeNames& names) {
  for (const auto& n : g.node()) {
    names.used.insert(n.name());
    for (const auto& a : n.attribute())
      if (a.type() == onnx::AttributeProto::GRAPH) collect_node_names(a.g(), names);
  }
}

// One GraphProto (the main graph or a subgraph) into `graph`, recursing into graph attributes.
void load_graph(const onnx::GraphProto& g, ir::Graph& graph, const ir::Model& model, const std::string& base_dir,
                const std::string& source_name, NodeNames& names, int depth) {
  if (depth > kMaxSubgraphDepth)
    throw Error(ErrorKind::Unsupported, "subgraphs nest deeper than " + std::to_string(kMaxSubgraphDepth) + " levels");
  graph.name = g.name();
  for (const auto& init : g.initializer()) {
    if (init.name().empty()) throw Error(ErrorKind::Model, "an initializer has no name");
    if (graph.initializers.count(init.name()))
      throw Error(ErrorKind::Model, "initializer '" + shortened(init.name()) + "' is defined more than once");
    graph.initializers[init.name()] = tensor_from_proto(init, base_dir);
  }
  if (g.sparse_initializer_size() > 0) throw Error(ErrorKind::Unsupported, "sparse initializers are not supported");
  // Before IR version 4 initializers were also listed as inputs; keep only the real inputs.
  for (const auto& in : g.input())
    if (!graph.initializers.count(in.name())) graph.inputs.push_back(value_info_from_proto(in, "graph input"));
  for (const auto& out : g.output()) graph.outputs.push_back(value_info_from_proto(out, "graph output"));
  for (const auto& vi : g.value_info()) {
    if (vi.has_type() && !vi.type().has_tensor_type()) continue;  // only used for messages; skip non-tensors
    graph.value_infos[vi.name()] = value_info_from_proto(vi, "value");
  }
  for (const auto& n : g.node()) {
    ir::Node node;
    node.name = n.name();
    if (node.name.empty()) {
      // Unnamed nodes (common in hand-made models) get a stable name a script can use.
      do node.name = n.op_type() + "_" + std::to_string(names.next++);
      while (names.used.count(node.name));
      names.used.insert(node.name);
    }
    node.op_type = n.op_type();
    node.domain = n.domain() == "ai.onnx" ? "" : n.domain();
    const ErrorContext ctx{.file = source_name, .node = node.name, .op_type = node.op_type};
    auto opset_it = model.opsets.find(node.domain);
    if (opset_it == model.opsets.end()) throw Error(ErrorKind::Model, "domain '" + node.domain + "' is not imported by the model", ctx);
    node.opset = static_cast<int>(opset_it->second);
    node.inputs.assign(n.input().begin(), n.input().end());
    node.outputs.assign(n.output().begin(), n.output().end());
    for (const auto& a : n.attribute()) {
      if (!a.ref_attr_name().empty()) throw Error(ErrorKind::Unsupported, "attribute references (functions) are not supported", ctx);
      if (a.type() == onnx::AttributeProto::GRAPH) {
        auto sub = std::make_shared<ir::Graph>();
        try {
          load_graph(a.g(), *sub, model, base_dir, source_name, names, depth + 1);
        } catch (const Error& e) {
          throw e.with_node(node.name, node.op_type);
        }
        node.attributes[a.name()] = ir::Attribute{.kind = ir::AttrKind::Graph, .g = std::move(sub)};
        continue;
      }
      node.attributes[a.name()] = attribute_from_proto(a, base_dir, ctx);
    }
    if (is_onnx_domain(node.domain)) apply_schema(node, ctx);
    graph.nodes.push_back(std::move(node));
  }
}

}  // namespace

ir::Model load_model_from_bytes(std::string_view bytes, const std::string& source_name, const std::string& base_dir) {
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    throw Error(ErrorKind::Parse, "the model file is larger than 2 GiB, protobuf's limit for one message: store the weights as external data",
                {.file = source_name});
  onnx::ModelProto proto;
  if (bytes.empty() || !proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || !proto.has_graph())
    // Protobuf's parser stops at 100 nested messages, which also bounds how deep If/Loop subgraphs
    // can nest (about 30 levels) and so every recursion over them in quant.
    throw Error(ErrorKind::Parse, "not a valid ONNX model (the file does not parse as an ONNX ModelProto with a graph, or nests subgraphs deeper than protobuf's limit of 100 messages)",
                {.file = source_name});

  ir::Model model;
  model.source_path = source_name;
  model.ir_version = proto.ir_version();
  model.producer_name = proto.producer_name();
  model.producer_version = proto.producer_version();
  for (const auto& op : proto.opset_import())
    model.opsets[op.domain() == "ai.onnx" ? "" : op.domain()] = op.version();
  if (!model.opsets.count("")) {
    if (model.ir_version >= 3)
      throw Error(ErrorKind::Model, "the model imports no default (ai.onnx) opset", {.file = source_name});
    model.opsets[""] = 1;
  }
  const int64_t opset = model.opsets[""];
  if (opset < kMinOpset || opset > kMaxOpset)
    throw Error(ErrorKind::Unsupported, "opset " + std::to_string(opset) + " is outside the range quant supports (" +
                                            std::to_string(kMinOpset) + " to " + std::to_string(kMaxOpset) + ")",
                {.file = source_name});

  try {
    NodeNames names;
    collect_node_names(proto.graph(), names);
    load_graph(proto.graph(), model.graph, model, base_dir, source_name, names, 0);
    ir::validate_and_sort(model.graph);
  } catch (const Error& e) {
    throw e.with_file(source_name);
  }
  return model;
}

ir::Model load_model(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(ErrorKind::Io, "no such model file", {.file = path});
  const MappedFile file(path);
  return load_model_from_bytes(file.bytes(), path, std::filesystem::path(path).parent_path().string());
}

}  // namespace quant::onnx_io
