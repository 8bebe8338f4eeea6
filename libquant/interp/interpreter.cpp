#include "interp/interpreter.h"

#include <algorithm>
#include <numeric>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "core/allocator.h"
#include "interp/control_flow.h"
#include "ops/node_cache.h"
#include "ops/window.h"

namespace quant::interp {

namespace {

// The layout in which input k of `op`'s kernel takes a value stored in `have`: as it is where the
// op table says the kernel takes it, else channels-last where it takes that, else plain.
Layout layout_taken(const ops::OpEntry& op, size_t k, Layout have) {
  if (have == Layout::ChannelBlocks8 && ops::takes_channel_blocks(op, k)) return have;
  if (have != Layout::Plain && op.channels_last) return Layout::ChannelsLast;
  return Layout::Plain;
}

// Values fixed for every run: initializers and Constant nodes' values (a model not prepared keeps
// its Constant nodes).
class ConstantValues {
 public:
  template <class Steps>
  ConstantValues(const ir::Graph& graph, const Steps& steps) : graph_(graph) {
    for (const auto& s : steps)
      if (s.node->op_type == "Constant" && s.node->domain.empty() && s.node->has_attr("value") && !s.node->outputs.empty())
        nodes_[s.node->outputs[0]] = s.node;
  }
  const Tensor* operator()(const std::string& name) const {
    if (auto it = graph_.initializers.find(name); it != graph_.initializers.end()) return &it->second;
    if (auto it = nodes_.find(name); it != nodes_.end()) return &it->second->attr("value", ir::AttrKind::Tensor).t;
    return nullptr;
  }

 private:
  const ir::Graph& graph_;
  std::unordered_map<std::string, const ir::Node*> nodes_;
};

// Which step alone reads a value: counted over every node input, subgraph capture and graph output,
// so a value read twice, captured by a branch or returned from the graph has none.
class OnlyReaders {
 public:
  template <class Steps>
  OnlyReaders(const ir::Graph& graph, const Steps& steps) {
    for (size_t i = 0; i < steps.size(); ++i) {
      for (const std::string& in : steps[i].node->inputs) ++readers_[in], reader_step_[in] = i;
      for (const std::string& v : ir::node_captures(*steps[i].node)) ++readers_[v];
    }
    for (const ir::ValueInfo& out : graph.outputs) ++readers_[out.name];
  }
  std::optional<size_t> step_of(const std::string& value) const {
    const auto count = readers_.find(value);
    const auto step = reader_step_.find(value);
    if (count == readers_.end() || count->second != 1 || step == reader_step_.end()) return std::nullopt;
    return step->second;
  }

 private:
  std::unordered_map<std::string, int> readers_;
  std::unordered_map<std::string, size_t> reader_step_;
};

}  // namespace

Interpreter::Interpreter(const ir::Graph& graph, ops::KernelConfig config) : graph_(graph), config_(config) {
  keep_large_blocks_for_reuse();
  std::unordered_map<std::string, size_t> last_reader;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const ir::Node& node = graph.nodes[i];
    const ops::OpEntry* op = ops::find_op(node.domain, node.op_type);
    if (!op) {
      const std::string op_name = node.domain.empty() ? node.op_type : node.domain + "." + node.op_type;
      throw Error(ErrorKind::Unsupported, "operator '" + op_name + "' is not supported (see 'quantize ops' for the supported list)",
                  {.node = node.name, .op_type = node.op_type});
    }
    Step step{&node, op, {}, nullptr, std::make_shared<ops::NodeCache>()};
    for (size_t k = 0; k < node.inputs.size() && k < 64; ++k)
      if (!node.inputs[k].empty() && graph.initializers.count(node.inputs[k])) step.constant_inputs |= uint64_t{1} << k;
    // Control flow runs here, not in a kernel: its graphs are interpreters of their own.
    if (Subgraphs graphs = make_subgraphs(node, config); graphs.then_branch || graphs.body)
      step.subgraphs = std::make_shared<const Subgraphs>(std::move(graphs));
    steps_.push_back(std::move(step));
    for (const std::string& in : node.inputs)
      if (!in.empty()) last_reader[in] = i;
    for (const std::string& v : ir::node_captures(node)) last_reader[v] = i;
  }
  std::unordered_set<std::string> keep;
  for (const ir::ValueInfo& out : graph.outputs) keep.insert(out.name);
  for (const auto& [name, reader] : last_reader)
    if (!keep.count(name) && !graph.initializers.count(name)) steps_[reader].release_after.push_back(name);
  plan_fusion();
  plan_channel_blocks();
  plan_gelu_units();
}

// A chain whose steps all run as planned so far (no clamp fused in or out, no blocks of 8
// channels, which the pass does not write) becomes a unit.
void Interpreter::plan_gelu_units() {
  std::unordered_map<const ir::Node*, size_t> step_of;
  for (size_t i = 0; i < steps_.size(); ++i) step_of[steps_[i].node] = i;
  const OnlyReaders readers(graph_, steps_);
  auto only_reader = [&](const std::string& v) -> const ir::Node* {
    const std::optional<size_t> step = readers.step_of(v);
    return step ? steps_[*step].node : nullptr;
  };
  const ConstantValues constant(graph_, steps_);
  for (Step& step : steps_) {
    const std::optional<ops::GeluUnit> unit = ops::match_gelu(*step.node, constant, only_reader);
    if (!unit) continue;
    bool plain = true;
    for (const ir::Node* n : unit->nodes) {
      const Step& s = steps_[step_of.at(n)];
      plain = plain && !s.clamp.active && !s.fused_away && !s.channel_blocks_out && !s.gelu && !s.in_gelu;
    }
    if (!plain) continue;
    step.gelu = std::make_shared<const ops::GeluUnit>(*unit);
    for (size_t k = 1; k < unit->nodes.size(); ++k) steps_[step_of.at(unit->nodes[k])].in_gelu = step.gelu.get();
  }
}

void Interpreter::plan_fusion() {
  const OnlyReaders readers(graph_, steps_);
  const ConstantValues constant(graph_, steps_);
  for (Step& producer : steps_) {
    if (!producer.op->fuses_clamp || producer.node->outputs.empty()) continue;
    const std::string& value = producer.node->outputs[0];
    const std::optional<size_t> only_reader = readers.step_of(value);  // none when the value is only a graph output
    if (value.empty() || !only_reader) continue;
    Step& reader = steps_[*only_reader];
    if (reader.fused_away || reader.node->inputs[0] != value || reader.node->outputs[0].empty()) continue;
    const std::optional<ops::FusedClamp> clamp = ops::clamp_of(*reader.node, constant);
    if (!clamp) continue;
    producer.clamp = *clamp;
    producer.fused_output = reader.node->outputs[0];
    producer.fused_node = reader.node;
    reader.fused_away = true;
    reader.fused_from = value;
  }
}

std::set<std::string> Interpreter::fusable_values() const {
  std::set<std::string> values;
  for (const Step& s : steps_)
    if (s.fused_away) values.insert(s.fused_from);
  return values;
}

// Tensors kept in blocks of 8 channels: first, in graph order, the outputs of Convs that write
// them and of element-wise ops whose layout inputs all are such tensors (a global pool takes them
// and ends the chain: its result is plain); then, until nothing changes, every one that a reader
// would not take as it is (a kernel or input that does not take the blocks, a Conv on quant's own
// loops, an element-wise op whose own output was dropped) or that is a graph output or read by a
// subgraph is dropped: its producer writes it as before. So a chain of depthwise and 1x1
// convolutions (and the Clips and Adds between them) runs in blocks, and no tensor is converted on
// its way between two of them.
void Interpreter::plan_channel_blocks() {
  std::unordered_set<std::string> blocked;
  auto conv_blocks = [&](const ir::Node& n) -> ops::ConvChannelBlocks {
    if (n.op_type != "Conv" || !n.domain.empty() || n.inputs.size() < 2) return {};
    const auto w = graph_.initializers.find(n.inputs[1]);
    return w == graph_.initializers.end() ? ops::ConvChannelBlocks{} : ops::conv_channel_blocks(n, w->second.shape());
  };
  for (const Step& s : steps_) {
    const ir::Node& n = *s.node;
    if (s.op->channel_blocks == ops::ChannelBlocks::None || n.outputs.empty() || n.outputs[0].empty()) continue;
    if (s.op->channel_blocks == ops::ChannelBlocks::FirstInputEnds) continue;  // its result is not in blocks
    bool inputs_blocked = !n.inputs.empty();
    for (size_t k = 0; k < n.inputs.size(); ++k)
      if (ops::takes_channel_blocks(*s.op, k)) inputs_blocked = inputs_blocked && blocked.count(n.inputs[k]);
    if (n.op_type == "Conv" ? conv_blocks(n).writes : inputs_blocked) blocked.insert(n.outputs[0]);
  }
  std::unordered_multimap<std::string, size_t> readers;  // value -> index of a step reading it
  std::unordered_set<std::string> kept_plain;             // graph outputs and values read by subgraphs
  for (size_t i = 0; i < steps_.size(); ++i) {
    for (const std::string& in : steps_[i].node->inputs) readers.emplace(in, i);
    for (const std::string& v : ir::node_captures(*steps_[i].node)) kept_plain.insert(v);
  }
  for (const ir::ValueInfo& out : graph_.outputs) kept_plain.insert(out.name);
  auto takes_as_is = [&](const std::string& value, const Step& reader) {
    const ir::Node& n = *reader.node;
    for (size_t k = 0; k < n.inputs.size(); ++k)
      if (n.inputs[k] == value && !ops::takes_channel_blocks(*reader.op, k)) return false;
    if (n.op_type == "Conv") return conv_blocks(n).reads;
    if (reader.op->channel_blocks == ops::ChannelBlocks::FirstInputEnds) return true;
    return !n.outputs.empty() && blocked.count(n.outputs[0]) > 0;
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (auto it = blocked.begin(); it != blocked.end();) {
      bool keep = !kept_plain.count(*it);
      const auto [first, last] = readers.equal_range(*it);
      for (auto r = first; keep && r != last; ++r) keep = takes_as_is(*it, steps_[r->second]);
      if (keep) {
        ++it;
      } else {
        it = blocked.erase(it);
        changed = true;
      }
    }
  }
  for (Step& s : steps_) s.channel_blocks_out = s.node->op_type == "Conv" && !s.node->outputs.empty() && blocked.count(s.node->outputs[0]);
}

void Interpreter::check_inputs(const TensorMap& inputs) const {
  for (const auto& [name, tensor] : inputs)
    if (!graph_.find_input(name)) {
      std::string names;
      for (const ir::ValueInfo& v : graph_.inputs) names += (names.empty() ? "" : ", ") + v.name;
      throw Error(ErrorKind::Data, "the model has no input named '" + name + "' (inputs: " + names + ")");
    }
  std::unordered_map<std::string, int64_t> symbols;
  for (const ir::ValueInfo& decl : graph_.inputs) {
    auto it = inputs.find(decl.name);
    if (it == inputs.end()) throw Error(ErrorKind::Data, "no data given for model input '" + decl.name + "'");
    const Tensor& t = it->second;
    if (decl.dtype != DType::Undefined && t.dtype() != decl.dtype)
      throw Error(ErrorKind::Data, "input '" + decl.name + "' must be " + dtype_name(decl.dtype) + ", got " + t.describe());
    if (!decl.has_shape) continue;
    bool ok = static_cast<int64_t>(decl.dims.size()) == t.rank();
    for (size_t d = 0; ok && d < decl.dims.size(); ++d) {
      const ir::Dim& dim = decl.dims[d];
      const int64_t actual = t.shape()[d];
      if (dim.fixed()) ok = dim.size == actual;
      else if (!dim.symbol.empty()) ok = symbols.emplace(dim.symbol, actual).first->second == actual;
    }
    if (!ok)
      throw Error(ErrorKind::Data, "input '" + decl.name + "' must have shape " + decl.shape_string() + ", got " + t.describe());
  }
}

TensorMap Interpreter::run(const TensorMap& inputs, const Observer& observer, const std::set<std::string>* unobserved) const {
  check_inputs(inputs);
  return run_impl(inputs, observer, nullptr, unobserved);
}

TensorMap Interpreter::run_subgraph(const OuterScope& outer, const TensorMap& inputs) const { return run_impl(inputs, nullptr, &outer, nullptr); }

TensorMap Interpreter::run_impl(const TensorMap& inputs, const Observer& observer, const OuterScope* outer,
                                const std::set<std::string>* unobserved) const {
  std::unordered_map<std::string, Tensor> values(inputs.begin(), inputs.end());
  // A value by name: computed here, an initializer, or (in a subgraph) one of the enclosing graphs'.
  auto lookup = [&](const std::string& name) -> const Tensor* {
    if (auto it = values.find(name); it != values.end()) return &it->second;
    if (auto init = graph_.initializers.find(name); init != graph_.initializers.end()) return &init->second;
    return outer ? (*outer)(name) : nullptr;
  };
  const OuterScope scope = lookup;
  ops::Inputs args;
  std::vector<Tensor> converted;  // plain copies of channels-last inputs, for kernels that need them
  // A producer and its clamp fuse when nobody watches the producer's own result; a GELU runs as
  // one pass when nobody watches its interior.
  auto fuses = [&](const std::string& producer_output) { return !observer || (unobserved && unobserved->count(producer_output)); };
  auto unit_runs = [&](const ops::GeluUnit& u) { return std::all_of(u.interior.begin(), u.interior.end(), fuses); };
  std::unordered_set<const ops::GeluUnit*> units_run;  // this run's GELUs run as one pass (float x)
  for (const Step& step : steps_) {
    const ir::Node& node = *step.node;
    if ((step.fused_away && fuses(step.fused_from)) || (step.in_gelu && units_run.count(step.in_gelu))) {
      for (const std::string& name : step.release_after) values.erase(name);
      continue;
    }
    if (const Tensor* x = step.gelu && unit_runs(*step.gelu) ? lookup(step.gelu->x) : nullptr; x && x->dtype() == DType::Float32) {
      const ops::GeluUnit& unit = *step.gelu;
      Tensor y = ops::run_gelu_unit(unit, *x, config_.reference);
      const std::string& out = unit.last().outputs[0];
      if (observer) observer(unit.last(), out, y);
      values[out] = std::move(y);
      units_run.insert(&unit);
      for (const std::string& name : step.release_after) values.erase(name);
      continue;
    }
    ops::KernelConfig config = config_;
    config.cache = step.cache.get();
    config.constant_inputs = step.constant_inputs;
    if (step.clamp.active && fuses(node.outputs[0])) config.clamp = step.clamp;
    config.channel_blocks_out = step.channel_blocks_out;
    args.clear();
    converted.clear();
    converted.reserve(node.inputs.size());
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      const std::string& in = node.inputs[k];
      if (in.empty()) { args.push_back(nullptr); continue; }
      auto it = values.find(in);
      if (it != values.end()) {
        const Layout taken = layout_taken(*step.op, k, it->second.layout());
        if (taken != it->second.layout()) {
          converted.push_back(it->second.to_layout(taken));
          args.push_back(&converted.back());
        } else {
          args.push_back(&it->second);
        }
        continue;
      }
      const Tensor* found = lookup(in);
      if (!found) throw Error(ErrorKind::Internal, "value '" + in + "' is not available", {.node = node.name, .op_type = node.op_type});
      args.push_back(found);
    }
    ops::Outputs outs;
    try {
      if (step.subgraphs) {
        outs = run_control_flow(node, args, *step.subgraphs, scope);
      } else {
        outs = step.op->kernel(node, args, config);
      }
    } catch (const Error& e) {
      throw e.with_node(node.name, node.op_type);
    } catch (const std::exception& e) {
      throw Error(ErrorKind::Internal, e.what(), {.node = node.name, .op_type = node.op_type});
    }
    if (outs.size() < node.outputs.size())
      throw Error(ErrorKind::Internal, "kernel produced " + std::to_string(outs.size()) + " outputs for " +
                                           std::to_string(node.outputs.size()), {.node = node.name, .op_type = node.op_type});
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      if (node.outputs[i].empty()) continue;
      const bool fused = i == 0 && config.clamp.active;
      if (observer) observer(fused ? *step.fused_node : node, fused ? step.fused_output : node.outputs[i], outs[i]);
      values[fused ? step.fused_output : node.outputs[i]] = std::move(outs[i]);
    }
    for (const std::string& name : step.release_after) values.erase(name);
  }
  TensorMap result;
  for (const ir::ValueInfo& out : graph_.outputs) {
    if (const Tensor* t = lookup(out.name)) result[out.name] = t->to_plain();
    else throw Error(ErrorKind::Internal, "graph output '" + out.name + "' was not computed");
  }
  return result;
}

void set_input_shape(ir::Graph& graph, const std::string& name, const Shape& shape) {
  for (ir::ValueInfo& v : graph.inputs) {
    if (v.name != name) continue;
    if (v.has_shape && v.dims.size() != shape.size())
      throw Error(ErrorKind::Usage, "--input-shape " + name + ": the model declares rank " + std::to_string(v.dims.size()) + " " +
                                        v.shape_string() + ", got " + shape_to_string(shape));
    for (size_t d = 0; v.has_shape && d < shape.size(); ++d)
      if (v.dims[d].fixed() && v.dims[d].size != shape[d])
        throw Error(ErrorKind::Usage, "--input-shape " + name + ": dim " + std::to_string(d) + " is fixed to " +
                                          std::to_string(v.dims[d].size) + " in the model " + v.shape_string());
    v.has_shape = true;
    v.dims.clear();
    for (int64_t d : shape) v.dims.push_back({d, ""});
    return;
  }
  throw Error(ErrorKind::Usage, "--input-shape: the model has no input named '" + name + "'");
}

void set_input_value(ir::Graph& graph, const std::string& name, const std::vector<double>& values) {
  const auto input = std::find_if(graph.inputs.begin(), graph.inputs.end(), [&](const ir::ValueInfo& v) { return v.name == name; });
  if (input == graph.inputs.end()) throw Error(ErrorKind::Usage, "--input-value: the model has no input named '" + name + "'");
  if (input->dtype == DType::Undefined || input->dtype == DType::String)
    throw Error(ErrorKind::Usage, "--input-value " + name + ": the model declares no numeric element type for it");
  Shape shape;
  if (!input->has_shape) {
    if (values.size() != 1) shape.push_back(static_cast<int64_t>(values.size()));
  } else {
    for (const ir::Dim& d : input->dims) {
      if (!d.fixed())
        throw Error(ErrorKind::Usage, "--input-value " + name + ": its shape " + input->shape_string() + " has a symbolic dim (fix it with --input-shape)");
      shape.push_back(d.size);
    }
  }
  const int64_t count = std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
  if (count != static_cast<int64_t>(values.size()))
    throw Error(ErrorKind::Usage, "--input-value " + name + ": the input " + (input->has_shape ? input->shape_string() : "") + " holds " +
                                      std::to_string(count) + " values, got " + std::to_string(values.size()));
  graph.initializers[name] = cast_tensor(Tensor::from_vector<double>(shape, values), input->dtype);
  graph.inputs.erase(input);
}

}  // namespace quant::interp
