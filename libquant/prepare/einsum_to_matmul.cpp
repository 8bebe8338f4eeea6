#include "prepare/einsum_to_matmul.h"

#include <algorithm>
#include <numeric>

#include "ops/einsum.h"
#include "prepare/graph_edit.h"

namespace quant::prepare {
namespace {

using Labels = std::vector<int>;

bool contains(const Labels& labels, int label) { return std::find(labels.begin(), labels.end(), label) != labels.end(); }

// Where each of `order` sits in `labels` (every one of them does).
std::vector<int64_t> positions(const Labels& labels, const Labels& order) {
  std::vector<int64_t> perm;
  for (int label : order) perm.push_back(std::find(labels.begin(), labels.end(), label) - labels.begin());
  return perm;
}

bool is_identity(const std::vector<int64_t>& perm) {
  for (size_t i = 0; i < perm.size(); ++i)
    if (perm[i] != static_cast<int64_t>(i)) return false;
  return true;
}

class Rewrite {
 public:
  Rewrite(GraphEdit& edit, const ir::Node& einsum) : edit_(edit), einsum_(einsum) {}

  // `value` with its axes (labelled `labels`) moved to `order`; the labels of `leading` it lacks
  // inserted as axes of size 1 where a label it has lies to their left. Returns the new value.
  std::string arrange(const std::string& value, const Labels& labels, const Labels& leading, const Labels& matrix) {
    Labels order;
    std::vector<int64_t> unsqueeze;
    bool seen = false;
    for (size_t i = 0; i < leading.size(); ++i) {
      if (contains(labels, leading[i])) {
        order.push_back(leading[i]);
        seen = true;
      } else if (seen) {
        unsqueeze.push_back(static_cast<int64_t>(i));
      }
    }
    // Axes before the first label the operand has are left to broadcasting: unsqueeze positions
    // count from the first present leading label.
    const int64_t skipped = static_cast<int64_t>(std::find_if(leading.begin(), leading.end(), [&](int l) { return contains(labels, l); }) - leading.begin());
    for (int64_t& u : unsqueeze) u -= skipped;
    order.insert(order.end(), matrix.begin(), matrix.end());
    std::string out = value;
    const std::vector<int64_t> perm = positions(labels, order);
    if (!is_identity(perm)) out = add("Transpose", {out}, "perm", perm);
    if (!unsqueeze.empty()) out = add_unsqueeze(out, unsqueeze);
    return out;
  }

  std::string add(const std::string& op, std::vector<std::string> inputs, const std::string& ints_key = "", std::vector<int64_t> ints = {},
                  const std::string& output = "") {
    ir::Node n;
    n.name = einsum_.name + "/" + op;
    n.op_type = op;
    n.opset = einsum_.opset;
    n.inputs = std::move(inputs);
    n.outputs = {output.empty() ? edit_.fresh_name(einsum_.name + "/" + op + "_output") : output};
    if (!ints_key.empty()) n.attributes[ints_key] = ir::ints_attribute(std::move(ints));
    const std::string out = n.outputs[0];
    edit_.add_node(std::move(n));
    return out;
  }

  std::string add_unsqueeze(const std::string& value, const std::vector<int64_t>& axes) {
    if (einsum_.opset < 13) return add("Unsqueeze", {value}, "axes", axes);
    Tensor t(DType::Int64, {static_cast<int64_t>(axes.size())});
    std::copy(axes.begin(), axes.end(), t.data<int64_t>());
    return add("Unsqueeze", {value, edit_.add_initializer(einsum_.name + "/axes", std::move(t))});
  }

 private:
  GraphEdit& edit_;
  const ir::Node& einsum_;
};

// Whether `einsum` is one product per batch; if so queues its replacement and returns true.
bool rewrite(GraphEdit& edit, const ir::Graph& graph, const ir::Node& einsum) {
  if (einsum.inputs.size() != 2 || !einsum.has_input(0) || !einsum.has_input(1)) return false;
  std::vector<int64_t> ranks;
  for (const std::string& in : einsum.inputs) {
    std::vector<int64_t> dims;
    if (!graph.known_dims(in, dims)) return false;
    ranks.push_back(static_cast<int64_t>(dims.size()));
  }
  ops::EinsumLabels e;
  try {
    e = ops::parse_einsum(einsum.attr_string("equation"), ranks);
  } catch (const Error&) {
    return false;  // left to the kernel, whose error names the node when it runs
  }
  const Labels &a = e.operands[0], &b = e.operands[1], &out = e.output;
  for (const Labels* operand : {&a, &b})
    for (int label : *operand)
      if (std::count(operand->begin(), operand->end(), label) > 1) return false;
  Labels batch, inner, rows, cols;
  for (int label : a) {
    if (contains(b, label)) (contains(out, label) ? batch : inner).push_back(label);
    else if (contains(out, label)) rows.push_back(label);
    else return false;  // summed within the first operand
  }
  for (int label : b)
    if (!contains(a, label)) {
      if (!contains(out, label)) return false;
      cols.push_back(label);
    }
  if (inner.size() != 1 || rows.empty() || cols.empty()) return false;
  const int m = rows.back(), n = cols.back(), k = inner[0];
  rows.pop_back();
  cols.pop_back();
  Labels leading = cols;
  leading.insert(leading.end(), rows.begin(), rows.end());
  leading.insert(leading.end(), batch.begin(), batch.end());
  Rewrite r(edit, einsum);
  const std::string x1 = r.arrange(einsum.inputs[0], a, leading, {m, k});
  const std::string x2 = r.arrange(einsum.inputs[1], b, leading, {k, n});
  Labels product = leading;
  product.push_back(m);
  product.push_back(n);
  const std::vector<int64_t> perm = positions(product, out);
  if (is_identity(perm)) {
    r.add("MatMul", {x1, x2}, "", {}, einsum.outputs[0]);
  } else {
    const std::string y = r.add("MatMul", {x1, x2});
    r.add("Transpose", {y}, "perm", perm, einsum.outputs[0]);
  }
  return true;
}

}  // namespace

int einsum_to_matmul(ir::Graph& graph) {
  GraphEdit edit(graph);
  std::vector<bool> drop(graph.nodes.size(), false);
  int rewritten = 0;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const ir::Node& n = graph.nodes[i];
    if (n.op_type != "Einsum" || !n.domain.empty() || n.outputs.size() != 1) continue;
    if (rewrite(edit, graph, n)) {
      drop[i] = true;
      ++rewritten;
    }
  }
  if (!rewritten) return 0;
  std::vector<ir::Node> kept;
  for (size_t i = 0; i < graph.nodes.size(); ++i)
    if (!drop[i]) kept.push_back(std::move(graph.nodes[i]));
  graph.nodes = std::move(kept);
  edit.commit();
  return rewritten;
}

}  // namespace quant::prepare
