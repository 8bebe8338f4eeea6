#include "onnx/shape_values.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

namespace quant::onnx_io {
namespace {

// One element of a shape value, or one dim: a number times a product of symbols. 28 is {28, []},
// N is {1, [N]}, the "N*3" of a heads split is {3, [N]}. Symbolic dims are written with the
// symbols first, then the number: "N*3".
struct Elem {
  int64_t number = 1;
  std::vector<std::string> symbols;  // sorted
  bool unknown = false;              // a dim inference knows nothing of
  bool is_number() const { return !unknown && symbols.empty(); }
  bool is(int64_t n) const { return is_number() && number == n; }
  bool operator==(const Elem&) const = default;
};

Elem number(int64_t n) { return {n, {}, false}; }

Elem elem(const ir::Dim& d) {
  if (d.fixed()) return number(d.size);
  if (d.symbol.empty()) return {0, {}, true};
  Elem e;
  size_t pos = 0;
  while (pos <= d.symbol.size()) {
    const size_t star = std::min(d.symbol.find('*', pos), d.symbol.size());
    const std::string part = d.symbol.substr(pos, star - pos);
    if (!part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }) && part.size() < 18)
      e.number *= std::stoll(part);
    else
      e.symbols.push_back(part);
    pos = star + 1;
  }
  std::sort(e.symbols.begin(), e.symbols.end());
  return e;
}

// As a dim: numbers >= 0 and products with symbols; nullopt for -1, other negatives and unknowns.
std::optional<ir::Dim> dim(const Elem& e) {
  if (e.unknown || (e.is_number() && e.number < 0)) return std::nullopt;
  if (e.is_number()) return ir::Dim{e.number, ""};
  if (e.number <= 0) return std::nullopt;
  std::string s;
  for (const std::string& sym : e.symbols) s += (s.empty() ? "" : "*") + sym;
  if (e.number != 1) s += "*" + std::to_string(e.number);
  return ir::Dim{-1, s};
}

Elem multiply(const Elem& a, const Elem& b) {
  if (a.unknown || b.unknown) return {0, {}, true};
  Elem out{a.number * b.number, a.symbols, false};
  out.symbols.insert(out.symbols.end(), b.symbols.begin(), b.symbols.end());
  std::sort(out.symbols.begin(), out.symbols.end());
  if (out.number == 0) out.symbols.clear();
  return out;
}

// a / b when it divides exactly (the number and the symbols); nullopt otherwise.
std::optional<Elem> divide_exactly(const Elem& a, const Elem& b) {
  if (a.unknown || b.unknown || b.number == 0 || a.number % b.number != 0) return std::nullopt;
  if (!std::includes(a.symbols.begin(), a.symbols.end(), b.symbols.begin(), b.symbols.end())) return std::nullopt;
  Elem out{a.number / b.number, {}, false};
  std::set_difference(a.symbols.begin(), a.symbols.end(), b.symbols.begin(), b.symbols.end(), std::back_inserter(out.symbols));
  return out;
}

Elem product(const std::vector<ir::Dim>& dims) {
  Elem p = number(1);
  for (const ir::Dim& d : dims) p = multiply(p, elem(d));
  return p;
}

int64_t clamp_index(int64_t i, int64_t n, int64_t lo, int64_t hi) { return std::clamp(i < 0 ? i + n : i, lo, hi); }

// A node's input i, or "" when it has fewer.
std::string input(const ir::Node& n, size_t i) { return i < n.inputs.size() ? n.inputs[i] : ""; }

// The elements of a rank-0 or rank-1 int64 tensor.
struct ShapeValue {
  std::vector<Elem> elems;
  bool scalar = false;
};

// Integer arithmetic on shape values: exact on numbers (Div truncates, as integer Div does in ONNX
// Runtime), and on symbols where the result stays a product: N * 3, 3 * N / 3, N + 0.
std::optional<Elem> arithmetic(const std::string& op, const Elem& x, const Elem& y) {
  if (x.unknown || y.unknown) return std::nullopt;
  if (x.is_number() && y.is_number()) {
    if (op == "Add") return number(x.number + y.number);
    if (op == "Sub") return number(x.number - y.number);
    if (op == "Mul") return number(x.number * y.number);
    if (y.number == 0) return std::nullopt;
    return number(x.number / y.number);
  }
  if (op == "Mul") return multiply(x, y);
  if (op == "Div") return divide_exactly(x, y);
  if (y.is(0)) return x;
  if (op == "Add" && x.is(0)) return y;
  return std::nullopt;
}

class ShapeValues {
 public:
  explicit ShapeValues(const ir::Graph& g) : g_(g) {}

  const ShapeValue* get(const std::string& name) {
    if (name.empty()) return nullptr;
    if (auto it = values_.find(name); it != values_.end()) return &it->second;
    const Tensor* t = g_.constant(name);
    if (!t || t->rank() > 1 || t->numel() > 64 || !dtype_is_integer(t->dtype())) return nullptr;
    ShapeValue v{{}, t->rank() == 0};
    for (int64_t x : t->to_int64_vector()) v.elems.push_back(number(x));
    return &(values_[name] = v);
  }
  // The elements when all are numbers; empty otherwise (or when absent).
  std::vector<int64_t> numbers(const std::string& name) {
    const ShapeValue* v = get(name);
    std::vector<int64_t> out;
    if (!v) return out;
    for (const Elem& e : v->elems) {
      if (!e.is_number()) return {};
      out.push_back(e.number);
    }
    return out;
  }

  void visit(const ir::Node& n) {
    if (n.outputs.empty() || n.outputs[0].empty() || !n.domain.empty() || n.inputs.empty()) return;
    std::optional<ShapeValue> out = compute(n);
    if (out) values_[n.outputs[0]] = std::move(*out);
  }

 private:
  std::optional<ShapeValue> compute(const ir::Node& n) {
    const std::string& op = n.op_type;
    if (op == "Shape") {
      std::vector<ir::Dim> dims;
      if (!g_.known_dims(n.inputs[0], dims)) return std::nullopt;
      const int64_t r = static_cast<int64_t>(dims.size());
      ShapeValue v;
      for (int64_t i = clamp_index(n.attr_int("start", 0), r, 0, r); i < clamp_index(n.attr_int("end", r), r, 0, r); ++i)
        v.elems.push_back(elem(dims[static_cast<size_t>(i)]));
      return v;
    }
    const ShapeValue* in = get(n.inputs[0]);
    if (!in) return std::nullopt;
    if (op == "Identity" || op == "Cast") return *in;
    if (op == "Unsqueeze") return in->scalar ? std::optional<ShapeValue>(ShapeValue{in->elems, false}) : std::nullopt;
    if (op == "Squeeze") return !in->scalar && in->elems.size() == 1 ? std::optional<ShapeValue>(ShapeValue{in->elems, true}) : std::nullopt;
    if (op == "Gather") {
      const Tensor* idx = n.inputs.size() > 1 ? g_.constant(n.inputs[1]) : nullptr;
      if (n.attr_int("axis", 0) != 0 || in->scalar || !idx || idx->rank() > 1) return std::nullopt;
      ShapeValue v{{}, idx->rank() == 0};
      const int64_t size = static_cast<int64_t>(in->elems.size());
      for (int64_t i : idx->to_int64_vector()) {
        if (i < -size || i >= size) return std::nullopt;
        v.elems.push_back(in->elems[static_cast<size_t>(i < 0 ? i + size : i)]);
      }
      return v;
    }
    if (op == "Concat") {
      ShapeValue v;
      for (const std::string& name : n.inputs) {
        const ShapeValue* part = get(name);
        if (!part || part->scalar) return std::nullopt;
        v.elems.insert(v.elems.end(), part->elems.begin(), part->elems.end());
      }
      return v;
    }
    if (op == "Slice") {
      const std::vector<int64_t> starts = numbers(input(n, 1)), ends = numbers(input(n, 2));
      std::vector<int64_t> axes = numbers(input(n, 3)), steps = numbers(input(n, 4));
      if (axes.empty()) axes = {0};
      if (steps.empty()) steps = {1};
      if (in->scalar || starts.size() != 1 || ends.size() != 1 || (axes[0] != 0 && axes[0] != -1) || axes.size() != 1 || steps.size() != 1 ||
          steps[0] == 0)
        return std::nullopt;
      const int64_t size = static_cast<int64_t>(in->elems.size()), step = steps[0];
      const int64_t lo = step > 0 ? 0 : -1, hi = step > 0 ? size : size - 1;
      ShapeValue v;
      for (int64_t i = clamp_index(starts[0], size, lo, hi); step > 0 ? i < clamp_index(ends[0], size, lo, hi) : i > clamp_index(ends[0], size, lo, hi);
           i += step)
        v.elems.push_back(in->elems[static_cast<size_t>(i)]);
      return v;
    }
    if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
      const ShapeValue* b = get(input(n, 1));
      if (!b) return std::nullopt;
      const size_t count = std::max(in->elems.size(), b->elems.size());
      if ((in->elems.size() != count && in->elems.size() != 1) || (b->elems.size() != count && b->elems.size() != 1)) return std::nullopt;
      ShapeValue v{{}, in->scalar && b->scalar};
      for (size_t i = 0; i < count; ++i) {
        std::optional<Elem> r = arithmetic(op, in->elems[in->elems.size() == 1 ? 0 : i], b->elems[b->elems.size() == 1 ? 0 : i]);
        if (!r) return std::nullopt;
        v.elems.push_back(*r);
      }
      return v;
    }
    return std::nullopt;
  }

  const ir::Graph& g_;
  std::unordered_map<std::string, ShapeValue> values_;
};

// Reshape: 0 copies the input dim (unless allowzero), -1 is what the other dims leave of the input.
std::optional<std::vector<ir::Dim>> reshape_dims(const std::vector<ir::Dim>& input, const ShapeValue& target, bool allow_zero) {
  std::vector<ir::Dim> out;
  int64_t infer_at = -1;
  for (size_t i = 0; i < target.elems.size(); ++i) {
    const Elem& t = target.elems[i];
    std::optional<ir::Dim> d;
    if (t.is(0) && !allow_zero) d = i < input.size() ? std::optional<ir::Dim>(input[i]) : std::nullopt;
    else if (t.is(-1) && infer_at < 0) infer_at = static_cast<int64_t>(i), d = ir::Dim{};
    else d = dim(t);
    if (!d) return std::nullopt;
    out.push_back(*d);
  }
  if (infer_at >= 0) {
    std::vector<ir::Dim> others = out;
    others.erase(others.begin() + infer_at);
    const std::optional<Elem> rest = divide_exactly(product(input), product(others));
    const std::optional<ir::Dim> d = rest ? dim(*rest) : std::nullopt;
    if (!d) return std::nullopt;
    out[static_cast<size_t>(infer_at)] = *d;
  }
  return out;
}

// A shape value read as the dims of a shape (ConstantOfShape, Expand).
std::optional<std::vector<ir::Dim>> as_dims(const ShapeValue& v) {
  std::vector<ir::Dim> out;
  for (const Elem& e : v.elems) {
    const std::optional<ir::Dim> d = dim(e);
    if (!d) return std::nullopt;
    out.push_back(*d);
  }
  return out;
}

// Expand: numpy broadcasting of the input's dims with the target's.
std::optional<std::vector<ir::Dim>> expand_dims(const std::vector<ir::Dim>& input, const ShapeValue& value) {
  const std::optional<std::vector<ir::Dim>> target = as_dims(value);
  if (!target) return std::nullopt;
  const size_t rank = std::max(input.size(), target->size());
  std::vector<ir::Dim> out(rank);
  const ir::Dim one{1, ""};
  for (size_t i = 0; i < rank; ++i) {
    const ir::Dim& a = i + input.size() >= rank ? input[i + input.size() - rank] : one;
    const ir::Dim& b = i + target->size() >= rank ? (*target)[i + target->size() - rank] : one;
    if (elem(a).unknown || elem(b).unknown) return std::nullopt;
    if (a.fixed() && a.size == 1) out[i] = b;
    else if ((b.fixed() && b.size == 1) || elem(a) == elem(b)) out[i] = a;
    else return std::nullopt;
  }
  return out;
}

// Slice of a tensor whose starts/ends (and axes, steps) are numbers: each sliced axis of a fixed
// size gets its new size; a symbolic one only when it is kept whole.
std::optional<std::vector<ir::Dim>> slice_dims(std::vector<ir::Dim> dims, const std::vector<int64_t>& starts, const std::vector<int64_t>& ends,
                                               std::vector<int64_t> axes, std::vector<int64_t> steps) {
  const int64_t rank = static_cast<int64_t>(dims.size());
  if (axes.empty())
    for (int64_t a = 0; a < static_cast<int64_t>(starts.size()); ++a) axes.push_back(a);
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (starts.empty() || starts.size() != ends.size() || axes.size() != starts.size() || steps.size() != starts.size()) return std::nullopt;
  for (size_t i = 0; i < axes.size(); ++i) {
    const int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (axis < 0 || axis >= rank || steps[i] == 0) return std::nullopt;
    ir::Dim& d = dims[static_cast<size_t>(axis)];
    if (!d.fixed()) {
      if (starts[i] == 0 && ends[i] >= (int64_t{1} << 31) - 1 && steps[i] == 1) continue;  // the whole axis
      return std::nullopt;
    }
    const int64_t n = d.size, step = steps[i];
    const int64_t lo = step > 0 ? 0 : -1, hi = step > 0 ? n : n - 1;
    const int64_t start = clamp_index(starts[i], n, lo, hi), end = clamp_index(ends[i], n, lo, hi);
    d.size = step > 0 ? std::max<int64_t>(0, (end - start + step - 1) / step) : std::max<int64_t>(0, (start - end - step - 1) / -step);
  }
  return dims;
}

// The output dims of a shape-reading node, where its shape inputs are known shape values.
std::optional<std::vector<ir::Dim>> output_dims(const ir::Graph& graph, const ir::Node& n, ShapeValues& values) {
  const std::string& op = n.op_type;
  if (op == "ConstantOfShape") {
    const ShapeValue* target = values.get(input(n, 0));
    return target && !target->scalar ? as_dims(*target) : std::nullopt;
  }
  std::vector<ir::Dim> in;
  if (!graph.known_dims(input(n, 0), in)) return std::nullopt;
  if (op == "Slice") return slice_dims(in, values.numbers(input(n, 1)), values.numbers(input(n, 2)), values.numbers(input(n, 3)), values.numbers(input(n, 4)));
  const ShapeValue* target = values.get(input(n, 1));
  if (!target || target->scalar) return std::nullopt;
  if (op == "Reshape") return reshape_dims(in, *target, n.attr_int("allowzero", 0) != 0);
  if (op == "Expand") return expand_dims(in, *target);
  return std::nullopt;
}

DType output_dtype(const ir::Graph& graph, const ir::Node& n) {
  if (n.op_type != "ConstantOfShape") return graph.known_dtype(n.inputs[0]);
  return n.has_attr("value") ? n.attr("value", ir::AttrKind::Tensor).t.dtype() : DType::Float32;
}

}  // namespace

int add_shapes_from_shape_values(ir::Graph& graph) {
  ShapeValues values(graph);
  int added = 0;
  for (const ir::Node& n : graph.nodes) {
    values.visit(n);
    static const std::vector<std::string> kShapeReaders = {"Reshape", "Expand", "ConstantOfShape", "Slice"};
    if (!n.domain.empty() || n.inputs.empty() || n.outputs.empty() || n.outputs[0].empty() ||
        std::find(kShapeReaders.begin(), kShapeReaders.end(), n.op_type) == kShapeReaders.end())
      continue;
    const std::string& out = n.outputs[0];
    if (auto it = graph.value_infos.find(out); it != graph.value_infos.end() && it->second.has_shape) continue;
    const std::optional<std::vector<ir::Dim>> dims = output_dims(graph, n, values);
    const DType dtype = output_dtype(graph, n);
    if (!dims || dtype == DType::Undefined || std::any_of(dims->begin(), dims->end(), [](const ir::Dim& d) { return elem(d).unknown; })) continue;
    graph.value_infos[out] = {.name = out, .dtype = dtype, .dims = *dims, .has_shape = true};
    ++added;
  }
  return added;
}

}  // namespace quant::onnx_io
