#include "onnx/save.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <spdlog/spdlog.h>

#include <climits>
#include <filesystem>

#include "core/file_io.h"
#include "core/memory_limit.h"
#include "onnx/attribute_proto.h"
#include "onnx/model_proto.h"
#include "onnx/tensor_proto.h"

namespace quant::onnx_io {

namespace {

// Initializers below this stay inline (ONNX's convert_model_to_external_data uses the same 1 KiB).
constexpr size_t kExternalThreshold = 1024;
constexpr size_t kAlignment = 64;

size_t aligned(size_t offset) { return (offset + kAlignment - 1) / kAlignment * kAlignment; }

// Calls f on every initializer of the graph and its subgraphs (If branches), in file order.
template <typename F>
void for_each_initializer(onnx::GraphProto& graph, F&& f) {
  for (onnx::TensorProto& t : *graph.mutable_initializer()) f(t);
  for (onnx::NodeProto& node : *graph.mutable_node())
    for (onnx::AttributeProto& a : *node.mutable_attribute()) {
      if (a.has_g()) for_each_initializer(*a.mutable_g(), f);
      for (onnx::GraphProto& g : *a.mutable_graphs()) for_each_initializer(g, f);
    }
}

bool goes_external(const onnx::TensorProto& t) { return t.has_raw_data() && t.raw_data().size() >= kExternalThreshold; }

// Moves the raw data of the large initializers to the returned bytes, recording location, offset
// and length in each. Each tensor's bytes are freed once copied, so that the model is held about
// twice (the IR and these bytes), not three times.
std::string move_to_external(onnx::GraphProto& graph, const std::string& location) {
  size_t total = 0;
  for_each_initializer(graph, [&](const onnx::TensorProto& t) {
    if (goes_external(t)) total = aligned(total) + t.raw_data().size();
  });
  std::string data;
  data.reserve(total);
  for_each_initializer(graph, [&](onnx::TensorProto& t) {
    if (!goes_external(t)) return;
    data.resize(aligned(data.size()), '\0');
    const size_t offset = data.size(), length = t.raw_data().size();
    data += t.raw_data();
    std::string().swap(*t.mutable_raw_data());
    t.clear_raw_data();
    t.set_data_location(onnx::TensorProto::EXTERNAL);
    for (const auto& [key, value] : {std::pair<std::string, std::string>{"location", location}, {"offset", std::to_string(offset)},
                                     {"length", std::to_string(length)}}) {
      onnx::StringStringEntryProto* entry = t.add_external_data();
      entry->set_key(key);
      entry->set_value(value);
    }
  });
  return data;
}

}  // namespace

std::string external_data_path(const std::string& model_path) { return model_path + ".data"; }

std::vector<std::pair<std::string, std::string>> serialize_model(const ir::Model& model, const std::string& model_path, ExternalData mode) {
  onnx::ModelProto proto;
  model_to_proto(model, proto);
  // Checked with the data inline: the checker would look for an external file not yet written.
  try {
    onnx::checker::check_model(proto);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::Internal, std::string("the model quant built fails ONNX's checker: ") + e.what());
  }
  std::vector<std::pair<std::string, std::string>> files(1);
  files[0].first = model_path;
  // Protobuf serializes at most 2^31 - 1 bytes.
  const size_t inline_bytes = proto.ByteSizeLong();
  if (mode == ExternalData::Always || inline_bytes > static_cast<size_t>(INT_MAX)) {
    const std::string data_path = external_data_path(model_path);
    spdlog::info("initializers of 1 KiB or more go to {} (ONNX external data{})", data_path,
                 mode == ExternalData::Always ? "" : ": the model is " + format_byte_size(inline_bytes) + ", over protobuf's 2 GB limit");
    std::string data = move_to_external(*proto.mutable_graph(), std::filesystem::path(data_path).filename().string());
    if (proto.ByteSizeLong() > static_cast<size_t>(INT_MAX))
      throw Error(ErrorKind::Unsupported, "the model is over 2 GB even with its initializers in external data", {.file = model_path});
    files.emplace_back(data_path, std::move(data));
  }
  if (!proto.SerializeToString(&files[0].second)) throw Error(ErrorKind::Internal, "could not serialize the model", {.file = model_path});
  return files;
}

void save_model(const ir::Model& model, const std::string& path, ExternalData mode) { write_files_atomically(serialize_model(model, path, mode)); }

}  // namespace quant::onnx_io
