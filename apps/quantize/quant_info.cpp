#include "quant_info.h"

#include <cstdio>
#include <map>

#include "emit/qdq_reader.h"
#include "ops/op_table.h"
#include "qmath/qparams.h"

namespace quant::app {
namespace {

using DqInfo = emit::QdqEntry;

nlohmann::ordered_json dq_json(const DqInfo& d) {
  nlohmann::ordered_json j;
  j["name"] = d.tensor;
  j["dtype"] = dtype_name(d.dtype);
  qmath::QRange r{0, 0};
  try {
    r = qmath::qrange(d.dtype);
  } catch (const Error&) {
  }
  std::vector<double> lo, hi;
  for (size_t i = 0; i < d.scale.size(); ++i) {
    const qmath::RealRange lim = qmath::limvals({d.scale[i], d.zero_point[i]}, r);
    lo.push_back(lim.min);
    hi.push_back(lim.max);
  }
  if (d.scale.size() == 1 && d.axis < 0) {
    j["qp_scale"] = d.scale[0];
    j["qp_zp"] = d.zero_point[0];
    j["limvals_min"] = lo[0];
    j["limvals_max"] = hi[0];
  } else {
    j["qp_scale"] = d.scale;
    j["qp_zp"] = d.zero_point;
    j["axis"] = d.axis;
  }
  return j;
}

int bits(DType d) { return static_cast<int>(dtype_size(d) * 8); }

}  // namespace

nlohmann::ordered_json quant_info(const ir::Graph& g) {
  std::map<std::string, const ir::Node*> producer;
  for (const ir::Node& n : g.nodes)
    for (const std::string& o : n.outputs) producer[o] = &n;
  std::map<std::string, DqInfo> by_output;           // DQ output name -> entry
  std::map<std::string, DqInfo> by_quantized_input;  // Q input name -> the entry of its pair
  for (const DqInfo& d : emit::read_qdq(g)) {
    by_output[d.dq_output] = d;
    if (!d.q_input.empty()) by_quantized_input[d.q_input] = d;
  }
  if (by_output.empty()) return {};

  nlohmann::ordered_json info;
  info["inputs"] = nlohmann::json::array();
  for (const ir::ValueInfo& in : g.inputs)
    if (by_quantized_input.count(in.name)) info["inputs"].push_back(dq_json(by_quantized_input.at(in.name)));
  info["outputs"] = nlohmann::json::array();
  for (const ir::ValueInfo& out : g.outputs)
    if (by_output.count(out.name)) info["outputs"].push_back(dq_json(by_output.at(out.name)));

  info["layers"] = nlohmann::json::array();
  std::map<std::string, int> activation_bits;
  int64_t quantized_weight_bytes = 0, weights = 0;
  for (const auto& [out, d] : by_output)
    if (d.constant) {
      quantized_weight_bytes += d.bytes;
      ++weights;
    }
  for (const ir::Node& n : g.nodes) {
    if (n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear") continue;
    const ops::OpEntry* op = ops::find_op(n.domain, n.op_type);
    if (!op || op->facts.kind == ops::OpKind::ShapeOnly) continue;
    nlohmann::ordered_json layer{{"name", n.name}, {"op_type", n.op_type}};
    if (n.has_input(0) && by_output.count(n.inputs[0]) && !by_output.at(n.inputs[0]).constant) {
      const DqInfo& a = by_output.at(n.inputs[0]);
      layer["activation"] = dtype_name(a.dtype);
      activation_bits[std::to_string(bits(a.dtype))]++;
    } else if (n.has_input(0) && producer.count(n.inputs[0])) {
      // Reading a Conv/Gemm output directly: the pair runs fused, quantized at this layer's output.
      const ir::Node* p = producer.at(n.inputs[0]);
      const ops::OpEntry* pop = ops::find_op(p->domain, p->op_type);
      if (pop && pop->facts.kind == ops::OpKind::Compute) layer["activation"] = "fused";
    }
    const std::string* weight = ops::weight_input_name(op, n);
    if (weight && by_output.count(*weight)) {
      const DqInfo& w = by_output.at(*weight);
      layer["weight"] = dtype_name(w.dtype);
      layer["per_channel"] = w.scale.size() > 1;
    }
    info["layers"].push_back(layer);
  }
  std::vector<nlohmann::ordered_json> tensors;
  for (const auto& [out, d] : by_output) tensors.push_back(dq_json(d));
  info["tensors"] = tensors;
  info["summary"] = {{"quantized_tensors", by_output.size()},
                     {"quantized_weights_and_biases", weights},
                     {"layers_by_activation_bits", activation_bits},
                     {"quantized_weight_bytes", quantized_weight_bytes}};
  return info;
}

void print_quant_info(const nlohmann::ordered_json& info) {
  auto print_io = [](const char* title, const nlohmann::ordered_json& list) {
    std::printf("%s quantization:%s\n", title, list.empty() ? " none (float)" : "");
    for (const auto& t : list)
      std::printf("  %-24s %-7s qp_scale %.9g  qp_zp %lld  limvals [%.6g, %.6g]\n", t["name"].get<std::string>().c_str(),
                  t["dtype"].get<std::string>().c_str(), t["qp_scale"].get<double>(), t["qp_zp"].get<long long>(),
                  t["limvals_min"].get<double>(), t["limvals_max"].get<double>());
  };
  print_io("Input", info["inputs"]);
  print_io("Output", info["outputs"]);
  std::printf("Layers (precision):\n  %-28s %-18s %-10s %-8s %s\n", "layer", "op", "activation", "weight", "per-channel");
  for (const auto& l : info["layers"])
    std::printf("  %-28s %-18s %-10s %-8s %s\n", l["name"].get<std::string>().c_str(), l["op_type"].get<std::string>().c_str(),
                l.value("activation", "float").c_str(), l.value("weight", "-").c_str(),
                l.contains("per_channel") ? (l["per_channel"].get<bool>() ? "yes" : "no") : "-");
  const auto& s = info["summary"];
  std::printf("Summary: %zu quantized tensors, %lld quantized weights and biases (%lld bytes); layers by activation bits:",
              s["quantized_tensors"].get<size_t>(), s["quantized_weights_and_biases"].get<long long>(), s["quantized_weight_bytes"].get<long long>());
  for (const auto& [b, count] : s["layers_by_activation_bits"].items()) std::printf(" %s-bit x%d", b.c_str(), count.get<int>());
  std::printf("\n");
}

}  // namespace quant::app
