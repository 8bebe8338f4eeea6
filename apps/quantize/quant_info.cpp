#include "quant_info.h"

#include <cstdio>
#include <map>

#include "ops/op_table.h"
#include "qmath/qparams.h"

namespace quant::app {
namespace {

// The tensor a Q/DQ pair belongs to, by quant's naming (T_quantized and W_quantized name T and W).
std::string base_name(const std::string& name) {
  for (const char* suffix : {"_quantized"}) {
    const std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) return name.substr(0, name.size() - s.size());
  }
  return name;
}

struct DqInfo {
  std::string tensor;  // what it quantizes
  DType dtype = DType::UInt8;
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int64_t axis = -1;
  bool weight = false;   // its input is an initializer (a weight or bias)
  int64_t bytes = 0;     // that initializer's size
};

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
  auto init = [&](const std::string& name) -> const Tensor* {
    auto it = g.initializers.find(name);
    return it == g.initializers.end() ? nullptr : &it->second;
  };

  std::map<std::string, DqInfo> by_output;  // DQ output name -> info
  std::map<std::string, DqInfo> by_quantized_input;  // Q input name -> the DQ info of its pair
  for (const ir::Node& n : g.nodes) {
    if (n.op_type != "DequantizeLinear" || n.inputs.size() < 2) continue;
    const Tensor* scale = init(n.inputs[1]);
    const Tensor* zp = n.has_input(2) ? init(n.inputs[2]) : nullptr;
    if (!scale) continue;
    DqInfo d;
    d.scale = scale->to_float_vector();
    d.zero_point = zp ? zp->to_int64_vector() : std::vector<int64_t>(d.scale.size(), 0);
    d.dtype = zp ? zp->dtype() : DType::UInt8;
    d.axis = scale->numel() > 1 ? n.attr_int("axis", 1) : -1;
    const Tensor* x = init(n.inputs[0]);
    d.weight = x != nullptr;
    if (x) d.dtype = x->dtype(), d.bytes = static_cast<int64_t>(x->nbytes());
    // Named after its quantized input (quant writes T_quantized for tensor T, conversions included).
    d.tensor = base_name(n.inputs[0]);
    by_output[n.outputs[0]] = d;
    auto q = producer.find(n.inputs[0]);
    if (!d.weight && q != producer.end() && q->second->op_type == "QuantizeLinear") by_quantized_input[q->second->inputs[0]] = d;
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
    if (d.weight) {
      quantized_weight_bytes += d.bytes;
      ++weights;
    }
  for (const ir::Node& n : g.nodes) {
    if (n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear") continue;
    const ops::OpEntry* op = ops::find_op(n.domain, n.op_type);
    if (!op || op->facts.kind == ops::OpKind::ShapeOnly) continue;
    nlohmann::ordered_json layer{{"name", n.name}, {"op_type", n.op_type}};
    if (n.has_input(0) && by_output.count(n.inputs[0]) && !by_output.at(n.inputs[0]).weight) {
      const DqInfo& a = by_output.at(n.inputs[0]);
      layer["activation"] = dtype_name(a.dtype);
      activation_bits[std::to_string(bits(a.dtype))]++;
    } else if (n.has_input(0) && producer.count(n.inputs[0])) {
      // Reading a Conv/Gemm output directly: the pair runs fused, quantized at this layer's output.
      const ir::Node* p = producer.at(n.inputs[0]);
      const ops::OpEntry* pop = ops::find_op(p->domain, p->op_type);
      if (pop && pop->facts.kind == ops::OpKind::Compute) layer["activation"] = "fused";
    }
    const int wi = op->facts.weight_input;
    if (wi >= 0 && n.has_input(static_cast<size_t>(wi)) && by_output.count(n.inputs[static_cast<size_t>(wi)])) {
      const DqInfo& w = by_output.at(n.inputs[static_cast<size_t>(wi)]);
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
    std::printf("%s quantization:\n", title);
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
