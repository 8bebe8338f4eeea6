// The ONNX loader and IR validation on small models built in memory: what loads, and one clear
// error (with the node's name) for each kind of bad model.
#include <catch2/catch.hpp>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>

#include "core/file_io.h"
#include "interp/interpreter.h"
#include "onnx/load.h"

using namespace quant;

namespace {

struct ModelBuilder {
  onnx::ModelProto proto;
  ModelBuilder(int opset = 13) {
    proto.set_ir_version(7);
    auto* op = proto.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
  }
  onnx::GraphProto& g() { return *proto.mutable_graph(); }
  void input(const std::string& name, std::vector<int64_t> dims, int type = onnx::TensorProto::FLOAT) {
    value(g().add_input(), name, dims, type);
  }
  void output(const std::string& name) { value(g().add_output(), name, {}, onnx::TensorProto::FLOAT, false); }
  static void value(onnx::ValueInfoProto* v, const std::string& name, std::vector<int64_t> dims, int type, bool shaped = true) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(type);
    if (shaped)
      for (int64_t d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  }
  onnx::NodeProto& node(const std::string& op, std::vector<std::string> in, std::vector<std::string> out, const std::string& name = "") {
    auto* n = g().add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (auto& i : in) n->add_input(i);
    for (auto& o : out) n->add_output(o);
    return *n;
  }
  onnx::TensorProto& initializer(const std::string& name, std::vector<int64_t> dims, std::vector<float> values, bool raw) {
    auto* t = g().add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    if (raw) t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * 4));
    else for (float v : values) t->add_float_data(v);
    return *t;
  }
  ir::Model load() { return onnx_io::load_model_from_bytes(proto.SerializeAsString(), "test.onnx", "."); }
};

void add_int_attr(onnx::NodeProto& n, const std::string& key, int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(key);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

}  // namespace

TEST_CASE("loads initializers from raw_data, typed fields and external files, and fills defaults", "[loader]") {
  ModelBuilder m;
  m.input("x", {2, 3});
  m.initializer("b_raw", {3}, {1, 2, 3}, true);
  m.initializer("b_typed", {3}, {10, 20, 30}, false);
  auto& ext = m.initializer("b_ext", {3}, {}, false);
  const std::string dir = std::filesystem::temp_directory_path() / "quant_loader_test";
  std::filesystem::create_directories(dir);
  {
    const float values[] = {0, 0, 100, 200, 300};  // 8 bytes of padding before the tensor
    std::ofstream(dir + "/weights.bin", std::ios::binary).write(reinterpret_cast<const char*>(values), sizeof(values));
  }
  ext.set_data_location(onnx::TensorProto::EXTERNAL);
  for (auto [k, v] : {std::pair{"location", "weights.bin"}, {"offset", "8"}, {"length", "12"}}) {
    auto* kv = ext.add_external_data();
    kv->set_key(k);
    kv->set_value(v);
  }
  m.node("Add", {"x", "b_raw"}, {"s1"});
  m.node("Add", {"s1", "b_typed"}, {"s2"});
  m.node("Add", {"s2", "b_ext"}, {"y"});
  m.node("Softmax", {"y"}, {"z"}, "soft");
  m.output("z");
  const ir::Model model = onnx_io::load_model_from_bytes(m.proto.SerializeAsString(), "test.onnx", dir);
  CHECK(model.graph.nodes.size() == 4);
  CHECK(model.graph.nodes[0].name == "Add_0");  // unnamed nodes get stable names
  CHECK(model.graph.find_node("soft")->attr_int("axis") == -1);  // Softmax-13's default
  CHECK(model.graph.initializers.at("b_ext").data<float>()[2] == 300.0f);

  const interp::Interpreter interpreter(model.graph);
  const Tensor x = Tensor::from_vector<float>({2, 3}, {0, 0, 0, 0, 0, 0});
  const Tensor s = Tensor::from_vector<float>({2, 3}, {111, 222, 333, 111, 222, 333});
  std::vector<std::string> seen;
  const auto out = interpreter.run({{"x", x}}, [&](const ir::Node&, const std::string& name, const Tensor&) { seen.push_back(name); });
  CHECK(seen == std::vector<std::string>{"s1", "s2", "y", "z"});  // the observer sees every produced tensor
  CHECK(out.at("z").data<float>()[0] == Approx(std::exp(111.0 - 333.0)).margin(1e-30));

  // The same model from a file (mapped, not read into a buffer: core/file_io.h).
  std::ofstream(dir + "/model.onnx", std::ios::binary) << m.proto.SerializeAsString();
  const ir::Model from_file = onnx_io::load_model(dir + "/model.onnx");
  CHECK(from_file.graph.nodes.size() == 4);
  CHECK(from_file.graph.initializers.at("b_raw").data<float>()[1] == 2.0f);
  CHECK(from_file.graph.initializers.at("b_ext").data<float>()[2] == 300.0f);
}

TEST_CASE("a mapped file holds the file's bytes; empty and missing files", "[loader]") {
  const std::string dir = std::filesystem::temp_directory_path() / "quant_mapped_file_test";
  std::filesystem::create_directories(dir);
  std::string bytes(100000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 + i / 251);
  std::ofstream(dir + "/data.bin", std::ios::binary) << bytes;
  std::ofstream(dir + "/empty.bin", std::ios::binary).flush();
  CHECK(MappedFile(dir + "/data.bin").bytes() == bytes);
  CHECK(MappedFile(dir + "/empty.bin").bytes().empty());
  CHECK_THROWS_WITH(MappedFile(dir + "/missing.bin"), Catch::Contains("missing.bin"));
  CHECK_THROWS_WITH(onnx_io::load_model(dir + "/empty.bin"), Catch::Contains("not a valid ONNX model"));
}

TEST_CASE("bad models give one clear error naming the node", "[loader]") {
  SECTION("not protobuf") {
    CHECK_THROWS_WITH(onnx_io::load_model_from_bytes("junk", "bad.onnx", "."), Catch::Contains("bad.onnx: not a valid ONNX model"));
  }
  SECTION("unknown attribute") {
    ModelBuilder m;
    m.input("x", {1});
    add_int_attr(m.node("Relu", {"x"}, {"y"}, "r"), "alpha", 1);
    m.output("y");
    CHECK_THROWS_WITH(m.load(), Catch::Contains("node 'r' (Relu): unknown attribute 'alpha'"));
  }
  SECTION("attribute of the wrong type") {
    ModelBuilder m;
    m.input("x", {1, 2});
    auto& n = m.node("Flatten", {"x"}, {"y"}, "f");
    auto* a = n.add_attribute();
    a->set_name("axis");
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(1);
    m.output("y");
    CHECK_THROWS_WITH(m.load(), Catch::Contains("node 'f' (Flatten): attribute 'axis' is float, expected int"));
  }
  SECTION("not an ONNX operator") {
    ModelBuilder m;
    m.input("x", {1});
    m.node("Frobnicate", {"x"}, {"y"}, "fro");
    m.output("y");
    CHECK_THROWS_WITH(m.load(), Catch::Contains("node 'fro' (Frobnicate): 'Frobnicate' is not an ONNX operator at opset 13"));
  }
  SECTION("dangling input") {
    ModelBuilder m;
    m.input("x", {1});
    m.node("Add", {"x", "ghost"}, {"y"}, "add");
    m.output("y");
    CHECK_THROWS_WITH(m.load(), Catch::Contains("node 'add' (Add): input 'ghost' is not produced by any node"));
  }
  SECTION("cycle") {
    ModelBuilder m;
    m.input("x", {1});
    m.node("Add", {"x", "b"}, {"a"}, "first");
    m.node("Relu", {"a"}, {"b"}, "second");
    m.output("b");
    CHECK_THROWS_WITH(m.load(), Catch::Contains("the graph has a cycle through this node"));
  }
  SECTION("value produced twice") {
    ModelBuilder m;
    m.input("x", {1});
    m.node("Relu", {"x"}, {"y"}, "one");
    m.node("Relu", {"x"}, {"y"}, "two");
    m.output("y");
    CHECK_THROWS_WITH(m.load(), Catch::Contains("value 'y' is produced more than once"));
  }
  SECTION("initializer defined twice") {
    ModelBuilder m;
    m.input("x", {1});
    m.initializer("w", {1}, {1.0f}, true);
    m.initializer("w", {1}, {2.0f}, true);
    m.node("Add", {"x", "w"}, {"y"}, "add");
    m.output("y");
    CHECK_THROWS_WITH(m.load(), Catch::Contains("initializer 'w' is defined more than once"));
  }
  SECTION("graph input declared twice") {
    ModelBuilder m;
    m.input("x", {1});
    m.input("x", {1});
    m.node("Relu", {"x"}, {"y"}, "r");
    m.output("y");
    CHECK_THROWS_WITH(m.load(), Catch::Contains("value 'x' is produced more than once (again by a graph input)"));
  }
  SECTION("missing output") {
    ModelBuilder m;
    m.input("x", {1});
    m.node("Relu", {"x"}, {"y"}, "r");
    m.output("nothing");
    CHECK_THROWS_WITH(m.load(), Catch::Contains("graph output 'nothing' is not produced by any node"));
  }
  SECTION("unsupported op is reported before running, with the node") {
    ModelBuilder m;
    m.input("x", {1});
    m.node("Det", {"x"}, {"y"}, "sp");
    m.output("y");
    const ir::Model model = m.load();
    CHECK_THROWS_WITH(interp::Interpreter(model.graph), Catch::Contains("node 'sp' (Det): operator 'Det' is not supported"));
  }
  SECTION("a kernel's data error carries the node name") {
    ModelBuilder m;
    m.input("x", {2, 3});
    m.input("z", {4});
    m.node("Add", {"x", "z"}, {"y"}, "adder");
    m.output("y");
    const ir::Model model = m.load();
    const interp::Interpreter interpreter(model.graph);
    const Tensor x(DType::Float32, {2, 3}), z(DType::Float32, {4});
    CHECK_THROWS_WITH(interpreter.run({{"x", x}, {"z", z}}), Catch::Contains("node 'adder' (Add): shapes [2, 3] and [4] do not broadcast"));
  }
}

TEST_CASE("input shapes: symbolic dims bind consistently, --input-shape fixes them", "[interp]") {
  ModelBuilder m;
  auto* in = m.g().add_input();
  in->set_name("a");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_param("N");
  tt->mutable_shape()->add_dim()->set_dim_value(2);
  auto* in2 = m.g().add_input();
  in2->CopyFrom(*in);
  in2->set_name("b");
  m.node("Add", {"a", "b"}, {"y"});
  m.output("y");
  ir::Model model = m.load();
  const interp::Interpreter interpreter(model.graph);
  CHECK_NOTHROW(interpreter.run({{"a", Tensor(DType::Float32, {3, 2})}, {"b", Tensor(DType::Float32, {3, 2})}}));
  CHECK_THROWS_WITH(interpreter.run({{"a", Tensor(DType::Float32, {3, 2})}, {"b", Tensor(DType::Float32, {4, 2})}}),
                    Catch::Contains("input 'b' must have shape [N, 2], got float32[4, 2]"));
  interp::set_input_shape(model.graph, "a", {5, 2});
  CHECK(model.graph.inputs[0].shape_string() == "[5, 2]");
  CHECK_THROWS_WITH(interp::set_input_shape(model.graph, "b", {5, 3}), Catch::Contains("dim 1 is fixed to 2"));
  CHECK_THROWS_WITH(interp::set_input_shape(model.graph, "c", {5}), Catch::Contains("no input named 'c'"));
}
