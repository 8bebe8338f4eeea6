// Runs an ir::Graph on float (or any supported) inputs, node by node in topological order, with a
// hook that sees every tensor a node produces (calibration observes through it). Tensors are freed
// after their last reader, so memory follows the widest point of the graph, not its length.
// run() does not modify the interpreter: one Interpreter may serve several threads.
//
// Without an observer, a Relu or constant Clip that is the only reader of a Conv's output is fused
// into the Conv (ops::FusedClamp): same values, written once, except that a NaN (the float model
// overflowing) comes out of oneDNN's fused clamp as a bound, as it does out of ONNX Runtime's
// fused Conv + Relu/Clip; quant's own Conv loops keep it NaN. A GELU written as Div, Erf, Add,
// Mul, Mul runs as one pass (ops/gelu_unit.h), with the same bits. With an observer every tensor is
// computed and shown, unfused, except where the caller says it does not need the Conv's own
// result or the GELU's interior (run's `unobserved`). Kernels keep per-node state (oneDNN
// primitives, weights in their layout) in a cache each node owns.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ops/gelu_unit.h"
#include "ops/kernel.h"
#include "ops/op_table.h"

namespace quant::interp {

using TensorMap = std::map<std::string, Tensor>;
struct Subgraphs;
// Called after each node with the node and each output name and tensor. The tensor may be
// channels-last (Tensor::layout()); call to_plain() where element order matters.
using Observer = std::function<void(const ir::Node& node, const std::string& name, const Tensor& value)>;

class Interpreter {
 public:
  // Validates that quant has a kernel for every node (throws Unsupported naming the first node
  // without one). The graph must outlive the interpreter.
  explicit Interpreter(const ir::Graph& graph, ops::KernelConfig config = {});

  // Checks the inputs against the graph's declared inputs (names, types, fixed dims, and symbolic
  // dims bound consistently), runs the graph and returns its outputs.
  //
  // `unobserved`: tensors the observer does not need. A Relu/Clip that is the only reader of such a
  // tensor is fused into its producer as in an unobserved run, and the observer sees the fused
  // result under the Relu/Clip's node and output name only.
  TensorMap run(const TensorMap& inputs, const Observer& observer = nullptr, const std::set<std::string>* unobserved = nullptr) const;

  // For a subgraph: values it reads from the enclosing graphs come from `outer` (nullptr when the
  // name is unknown there too); `inputs` are its own (a Loop or Scan body's; If branches have none).
  using OuterScope = std::function<const Tensor*(const std::string&)>;
  TensorMap run_subgraph(const OuterScope& outer, const TensorMap& inputs = {}) const;

  const ir::Graph& graph() const { return graph_; }

  // The values that run fused into their producer (a Conv's output read only by a Relu/Clip) when
  // no observer needs them: declaring another of them `unobserved` changes which kernels run, and
  // a NaN's value (oneDNN's fused clamp). A GELU's interior is not among them: its one pass has
  // the five kernels' bits.
  std::set<std::string> fusable_values() const;

 private:
  struct Step {
    const ir::Node* node;
    const ops::OpEntry* op;
    std::vector<std::string> release_after;  // values whose last reader is this node
    // If, Loop, Scan: the interpreters of their graphs (interp/control_flow.h); null for other ops.
    std::shared_ptr<const Subgraphs> subgraphs;
    std::shared_ptr<ops::NodeCache> cache;
    uint64_t constant_inputs = 0;  // ops::KernelConfig::constant_inputs
    // Fusion (unobserved runs): this step applies `clamp` and its output is `fused_output`, that of
    // `fused_node` (the clamp); or this step is such a clamp node, and is skipped, reading `fused_from`.
    ops::FusedClamp clamp;
    std::string fused_output;
    const ir::Node* fused_node = nullptr;
    bool fused_away = false;
    std::string fused_from;
    bool channel_blocks_out = false;  // ops::KernelConfig::channel_blocks_out
    // GELU as one pass (ops/gelu_unit.h), when its interior is unobserved: the unit's first node
    // (its Div) runs it and the other four are skipped.
    std::shared_ptr<const ops::GeluUnit> gelu;  // on the Div's step
    const ops::GeluUnit* in_gelu = nullptr;     // on the other four steps
  };
  void plan_fusion();
  void plan_channel_blocks();
  void plan_gelu_units();
  void check_inputs(const TensorMap& inputs) const;
  TensorMap run_impl(const TensorMap& inputs, const Observer& observer, const OuterScope* outer, const std::set<std::string>* unobserved) const;

  const ir::Graph& graph_;
  ops::KernelConfig config_;
  std::vector<Step> steps_;
};

// Fixes the declared shape of a graph input (from `--input-shape name:1,3,224,224`), checking the
// rank and any fixed dims. Throws Usage naming the input.
void set_input_shape(ir::Graph& graph, const std::string& name, const Shape& shape);

// Replaces a graph input by a constant (from `--input-value sr=16000`): the model is specialized to
// that value, and preparation then folds what depends on it (e.g. the condition of an If that picks
// a branch by sample rate). The value takes the input's declared element type and shape (a scalar
// or 1-D list when no shape is declared). Throws Usage naming the input.
void set_input_value(ir::Graph& graph, const std::string& name, const std::vector<double>& values);

}  // namespace quant::interp
