// Runs every ONNX backend test (Debian's libonnx-testdata: node/ and pytorch-converted/) whose ops
// are all in quant's op table, and compares each output with the test's own expected output:
// floats within |got - want| <= 1e-5 + 1e-4 * |want| (NaN matches NaN), integers exactly.
// Tests listed in testdata/conformance_expected_failures.txt must fail with a clear quant::Error
// (they exercise features quant deliberately rejects), or, where the reason says "mismatch:", with
// a documented numeric difference; a listed test that passes is an error too, so the list stays true. Prints a summary per op; exits non-zero on any unexpected result.
#include <algorithm>
#include <cstring>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <onnx/onnx_pb.h>

#include "interp/interpreter.h"
#include "onnx/load.h"
#include "onnx/tensor_proto.h"
#include "ops/op_table.h"

namespace fs = std::filesystem;
using namespace quant;

namespace {

struct Counts {
  int passed = 0, expected_failures = 0, failed = 0;
};

std::map<std::string, std::string> read_expected_failures(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    std::string name, reason;
    s >> name;
    std::getline(s, reason);
    out[name] = reason;
  }
  return out;
}

std::vector<std::string> sorted_files(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind(prefix, 0) == 0) files.push_back(e.path().string());
  // input_0.pb, input_1.pb, ... input_10.pb: sort by the number.
  std::sort(files.begin(), files.end(), [](const std::string& a, const std::string& b) {
    auto num = [](const std::string& p) {
      const std::string stem = fs::path(p).stem().string();
      return std::stoi(stem.substr(stem.rfind('_') + 1));
    };
    return num(a) < num(b);
  });
  return files;
}

// ONNX 1.12's test generator stores bfloat16 tensors as uint16 (numpy has no bfloat16): give such
// data the bfloat16 type the model declares, bits unchanged.
Tensor as_declared(const Tensor& t, DType declared) {
  if (t.dtype() != DType::UInt16 || declared != DType::BFloat16) return t;
  Tensor out(DType::BFloat16, t.shape());
  std::memcpy(out.raw(), t.raw(), t.nbytes());
  return out;
}

// Empty when equal, else what differs.
std::string compare(const Tensor& got, const Tensor& want) {
  if (got.dtype() != want.dtype()) return std::string("type ") + dtype_name(got.dtype()) + " != " + dtype_name(want.dtype());
  if (got.shape() != want.shape()) return "shape " + shape_to_string(got.shape()) + " != " + shape_to_string(want.shape());
  const bool is_float = dtype_is_float(want.dtype());
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double g = got.value_as_double(i), w = want.value_as_double(i);
    if (g == w || (std::isnan(g) && std::isnan(w))) continue;
    const bool ok = is_float ? std::abs(g - w) <= 1e-5 + 1e-4 * std::abs(w) : g == w;
    if (!ok) {
      std::ostringstream s;
      s << "element " << i << ": got " << g << ", want " << w;
      return s.str();
    }
  }
  return "";
}

// Runs one test folder; returns "" on success or the failure, and whether it failed by a quant::Error.
std::string run_test(const fs::path& dir, bool& clean_error) {
  clean_error = false;
  try {
    const ir::Model model = onnx_io::load_model((dir / "model.onnx").string());
    const interp::Interpreter interpreter(model.graph);
    int sets = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (!e.is_directory() || e.path().filename().string().rfind("test_data_set", 0) != 0) continue;
      ++sets;
      const auto input_files = sorted_files(e.path(), "input_");
      const auto output_files = sorted_files(e.path(), "output_");
      interp::TensorMap inputs;
      // Inputs are stored in the order of the graph's declared inputs (initializer-backed ones excluded).
      if (input_files.size() != model.graph.inputs.size()) return "the test has " + std::to_string(input_files.size()) + " inputs, the model " + std::to_string(model.graph.inputs.size());
      for (size_t i = 0; i < input_files.size(); ++i)
        inputs[model.graph.inputs[i].name] = as_declared(onnx_io::read_tensor_pb(input_files[i]), model.graph.inputs[i].dtype);
      const interp::TensorMap outputs = interpreter.run(inputs);
      for (size_t i = 0; i < output_files.size() && i < model.graph.outputs.size(); ++i) {
        const ir::ValueInfo& out = model.graph.outputs[i];
        const std::string diff = compare(outputs.at(out.name), as_declared(onnx_io::read_tensor_pb(output_files[i]), out.dtype));
        if (!diff.empty()) return "output " + model.graph.outputs[i].name + ": " + diff;
      }
    }
    if (sets == 0) return "no test data sets";
    return "";
  } catch (const Error& e) {
    clean_error = true;
    return std::string(error_kind_name(e.kind())) + ": " + e.what();
  } catch (const std::exception& e) {
    return std::string("crash: ") + e.what();
  }
}

// The op types of a test model, read from the protobuf directly so that a model quant refuses to
// load still counts under its ops (and must then be listed as an expected failure), and the
// category that keeps a node test out of the headline figure: "string", "sequence/optional",
// "control flow", "training" (issue 12's denominator), or "" when it counts.
struct TestFacts {
  std::set<std::string> ops;
  std::string excluded;
};

TestFacts test_facts(const fs::path& dir) {
  TestFacts facts;
  std::ifstream in(dir / "model.onnx", std::ios::binary);
  onnx::ModelProto model;
  if (!model.ParseFromIstream(&in)) return facts;
  bool training = dir.filename().string().find("training") != std::string::npos;
  for (const auto& n : model.graph().node()) {
    facts.ops.insert(n.op_type());
    training |= n.domain() == "ai.onnx.preview.training";
  }
  bool string = false, non_tensor = false;
  for (const auto* list : {&model.graph().input(), &model.graph().output()})
    for (const auto& v : *list) {
      non_tensor |= v.type().has_tensor_type() == false;
      string |= v.type().has_tensor_type() && v.type().tensor_type().elem_type() == onnx::TensorProto::STRING;
    }
  const bool control = facts.ops.count("If") || facts.ops.count("Loop") || facts.ops.count("Scan");
  facts.excluded = non_tensor ? "sequence/optional" : string ? "string" : control ? "control flow" : training ? "training" : "";
  return facts;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: onnx_backend_conformance TESTDATA_DIR EXPECTED_FAILURES_FILE [NAME_FILTER]\n";
    return 2;
  }
  const fs::path root = argv[1];
  const auto expected = read_expected_failures(argv[2]);
  const std::string filter = argc > 3 ? argv[3] : "";
  std::set<std::string> supported;
  for (const ops::OpEntry& e : ops::all_ops()) supported.insert(std::string(e.op_type));

  std::map<std::string, Counts> per_op;
  std::set<std::string> seen_expected;
  int unexpected = 0, skipped = 0;
  // The headline figure: node tests passed, of all node tests but the excluded categories.
  int node_counted = 0, node_passed = 0;
  std::map<std::string, int> node_excluded;
  for (const char* suite : {"node", "pytorch-converted"}) {
    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(root / suite)) dirs.push_back(e.path());
    std::sort(dirs.begin(), dirs.end());
    for (const fs::path& dir : dirs) {
      const std::string name = dir.filename().string();
      if (!filter.empty() && name.find(filter) == std::string::npos) continue;
      const TestFacts facts = test_facts(dir);
      const std::set<std::string>& ops = facts.ops;
      const bool node_suite = std::string(suite) == "node";
      if (node_suite && !facts.excluded.empty()) ++node_excluded[facts.excluded];
      const bool counted = node_suite && facts.excluded.empty();
      node_counted += counted;
      const bool listed = expected.count(name) != 0;
      if (!listed && (ops.empty() || !std::includes(supported.begin(), supported.end(), ops.begin(), ops.end()))) {
        ++skipped;
        continue;
      }
      const std::string group = ops.size() == 1 ? *ops.begin() : (ops.empty() ? "(does not load)" : "(multi-op)");
      bool clean_error = false;
      const std::string failure = run_test(dir, clean_error);
      Counts& c = per_op[group];
      if (listed) {
        seen_expected.insert(name);
        if (failure.empty()) {
          std::cout << "UNEXPECTED PASS " << suite << "/" << name << " (listed as expected failure: remove it from the list)\n";
          ++c.failed, ++unexpected;
        } else if (!clean_error && expected.at(name).find("mismatch:") == std::string::npos) {
          std::cout << "FAIL " << suite << "/" << name << ": listed, but fails without a clear error: " << failure << "\n";
          ++c.failed, ++unexpected;
        } else {
          ++c.expected_failures;
        }
      } else if (failure.empty()) {
        ++c.passed;
        node_passed += counted;
      } else {
        std::cout << "FAIL " << suite << "/" << name << ": " << failure << "\n";
        ++c.failed, ++unexpected;
      }
    }
  }
  for (const auto& [name, reason] : expected)
    if (!seen_expected.count(name) && filter.empty()) {
      std::cout << "STALE expected failure " << name << ": no such test\n";
      ++unexpected;
    }

  int passed = 0, xfail = 0, failed = 0;
  std::cout << "\n" << std::left;
  std::cout.width(22);
  std::cout << "op" << " passed  expected-fail  failed\n";
  for (const auto& [op, c] : per_op) {
    std::cout.width(22);
    std::cout << op << " " << c.passed << "\t" << c.expected_failures << "\t\t" << c.failed << "\n";
    passed += c.passed, xfail += c.expected_failures, failed += c.failed;
  }
  std::cout << "\nconformance: " << passed << " passed, " << failed << " failed, " << xfail
            << " expected failures (testdata/conformance_expected_failures.txt), " << skipped << " tests of other ops skipped\n";
  if (filter.empty()) {
    std::cout << "node tests: " << node_passed << " of " << node_counted << " passed (" << std::fixed << std::setprecision(1)
              << 100.0 * node_passed / std::max(node_counted, 1) << "%); not counted:";
    for (const auto& [category, n] : node_excluded) std::cout << " " << category << " " << n;
    std::cout << "\n";
  }
  return unexpected == 0 ? 0 : 1;
}
