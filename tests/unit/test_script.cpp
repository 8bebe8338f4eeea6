// Model scripts: the syntax of real Hailo .alls files, and one test per error message.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

#include "plan/rules.h"
#include "script/layers.h"
#include "script/rules.h"

using namespace quant;

namespace {

script::ScriptRules compile(const std::string& text) { return script::compile_script(script::parse_script(text, "model.alls")); }

ir::Graph three_layer_graph() {
  ir::Graph g;
  g.inputs.push_back({"input", DType::Float32, {}, false});
  auto node = [&](const std::string& name, const std::string& op, const std::string& in, const std::string& out) {
    ir::Node n;
    n.name = name;
    n.op_type = op;
    n.opset = 13;
    n.inputs = {in};
    n.outputs = {out};
    g.nodes.push_back(n);
  };
  node("/c1/Conv", "Relu", "input", "/c1/Conv_output_0");
  node("/c2/Conv", "Relu", "/c1/Conv_output_0", "/c2/Conv_output_0");
  node("/f1/Gemm", "Relu", "/c2/Conv_output_0", "logits");
  g.outputs.push_back({"logits", DType::Float32, {}, false});
  return g;
}

}  // namespace

TEST_CASE("the line shapes of real Hailo scripts parse", "[script]") {
  const script::ScriptRules r = compile(R"(# a comment line
normalization1 = normalization([127.5, 127.5, 127.5], [127.5, 127.5, 127.5])
model_optimization_flavor(optimization_level=2, compression_level=0)
model_optimization_config(calibration, batch_size=4, calibset_size=2048)
quantization_param([conv27, maxpool2, conv30, ew_add9, ew_add10, output_layer3], precision_mode=a16_w16)
quantization_param({conv*}, bias_mode=double_scale_initialization)
quantization_param([davit_tiny/matmul3], force_range_in=[-200.96, 220.72], force_range_index=0)
quantization_param(conv1, force_range_out=[-1.0, 1.0])  # trailing comment
pre_quantization_optimization(activation_clipping, layers={conv*}, mode=percentile, clipping_values=[0, 99.99], recollect_stats=True)
pre_quantization_optimization(activation_clipping, layers=[conv20], mode=manual, clipping_values=[0, 15])
pre_quantization_optimization(weights_clipping, layers=[conv75], mode=manual, clipping_values=[-32.52, 32.52])
pre_quantization_optimization(equalization, policy=disabled)
post_quantization_optimization(bias_correction, policy=enabled)
quantization_param(
    [conv1,
     conv2],   # a statement continues while brackets are open
    precision_mode = a8_w8_a16)
a, b = quantization_param(conv3, precision_mode=a16_w16_a8)
resources_param(max_apu_utilization=0.9, max_compute_utilization=0.9)
performance_param(compiler_optimization_level=max)
)");
  CHECK(r.normalizations.size() == 1);
  CHECK(r.normalizations[0].name == "normalization1");
  CHECK(r.normalizations[0].std[2] == 127.5f);
  CHECK(r.optimization_level == 2);
  CHECK(r.batch_size == 4);
  CHECK(r.calibset_size == 2048);
  REQUIRE(r.quantization_params.size() == 6);
  CHECK(r.quantization_params[0].layers.size() == 6);
  CHECK(r.quantization_params[0].precision->output_bits == 16);
  CHECK(r.quantization_params[1].layers[0].glob);
  CHECK(r.quantization_params[1].bias_mode == "double_scale_initialization");
  CHECK(r.quantization_params[2].layers[0].pattern == "davit_tiny/matmul3");
  CHECK(r.quantization_params[2].force_range_in->lo == Approx(-200.96));
  CHECK(r.quantization_params[3].force_range_out->hi == 1.0);
  CHECK(r.quantization_params[4].layers.size() == 2);
  CHECK(r.quantization_params[4].precision->input_bits == 8);
  CHECK(r.quantization_params[4].precision->output_bits == 16);
  CHECK(r.quantization_params[5].precision->weight_bits == 16);
  CHECK(r.quantization_params[5].precision->output_bits == 8);
  CHECK(r.activation_clipping.size() == 2);
  CHECK(r.activation_clipping[0].percentile);
  CHECK(r.activation_clipping[0].values.hi == Approx(99.99));
  CHECK(r.weights_clipping[0].values.lo == Approx(-32.52));
  CHECK(r.equalization == false);
  CHECK(r.bias_correction == true);
  REQUIRE(r.warnings.size() == 4);  // compression_level, recollect_stats and the two hardware commands
  CHECK(r.warnings[0] == "model.alls:3: model_optimization_flavor: compression_level: quant does not compress weights to 4 bits by itself "
                         "(precision_mode=a8_w4 does, per layer): ignored");
  CHECK(r.warnings[2] == "model.alls:19: resources_param: a Hailo compiler or hardware setting, no meaning for quant: ignored");
}

TEST_CASE("script errors point at file:line:col and say what was expected", "[script]") {
  CHECK_THROWS_WITH(compile("quantization_param(conv1, precision_mode=a8_w8)\nquantization_param(conv2, precision_mode=a16_w61)\n"),
                    Catch::StartsWith("model.alls:2:42: unknown precision_mode 'a16_w61' (expected one of a8_w8, a16_w16, a16_w8, a8_w4, a8_w8_a16, a16_w16_a8)") &&
                        Catch::Contains("    quantization_param(conv2, precision_mode=a16_w61)\n                                             ^"));
  CHECK_THROWS_WITH(compile("quantization_param(conv1,\n  precision_mode=a16_w16\n"), Catch::StartsWith("model.alls:1:19: unterminated '(' opened here"));
  CHECK_THROWS_WITH(compile("quantization_param([conv1, conv2, precision_mode=a16_w16)\n"), Catch::Contains("model.alls:1:"));
  CHECK_THROWS_WITH(compile("quantisation_param(conv1, precision_mode=a16_w16)\n"),
                    Catch::StartsWith("model.alls:1:1: unknown command 'quantisation_param' (did you mean 'quantization_param'?)"));
  CHECK_THROWS_WITH(compile("quantization_param(conv1, precision=a16_w16)\n"),
                    Catch::StartsWith("model.alls:1:27: unknown key 'precision' for quantization_param (did you mean 'precision_mode'? expected precision_mode,"));
  CHECK_THROWS_WITH(compile("quantization_param(precision_mode=a16_w16, conv1)\n"),
                    Catch::StartsWith("model.alls:1:44: positional argument after keyword arguments"));
  CHECK_THROWS_WITH(compile("quantization_param(conv1, force_range_out=[1.0, -1.0])\n"),
                    Catch::StartsWith("model.alls:1:43: force_range_out must have low < high"));
  CHECK_THROWS_WITH(compile("quantization_param(conv1, force_range_out=[-1.0])\n"),
                    Catch::StartsWith("model.alls:1:43: force_range_out must be [low, high]"));
  CHECK_THROWS_WITH(compile("normalization([1, 2], [3])\n"), Catch::Contains("mean and std must have the same number of values"));
  CHECK_THROWS_WITH(compile("quantization_param(conv1) extra\n"), Catch::Contains("unexpected 'extra' after the command"));
  CHECK_THROWS_WITH(compile("quantization_param(conv1, force_range_index=1)\n"), Catch::Contains("force_range_index goes with force_range_in"));
  CHECK_THROWS_WITH(compile("pre_quantization_optimization(activation_clipping, layers={conv*}, mode=percentile, clipping_values=[0, 120])\n"),
                    Catch::Contains("percentile clipping_values must lie in [0, 100]"));
  CHECK_THROWS_WITH(compile("model_optimization_flavor(optimization_level=7)\n"), Catch::Contains("optimization_level must be 0 to 4"));
  CHECK_THROWS_WITH(compile("quantization_param({conv*, precision_mode=a16_w16)\n"), Catch::StartsWith("model.alls:1:20: unterminated '{' glob"));
}

TEST_CASE("layer references resolve to nodes by node or tensor name, with globs and candidates", "[script]") {
  const ir::Graph g = three_layer_graph();
  const script::ScriptRules r = compile(
      "quantization_param({*}, precision_mode=a16_w16)\n"
      "quantization_param({/c[0-9]/*}, precision_mode=a8_w8)\n"
      "quantization_param(logits, force_range_out=[-1.1, 1.1])\n");
  CHECK(script::resolve_layers(r, r.quantization_params[0].layers, g).size() == 3);
  CHECK(script::resolve_layers(r, r.quantization_params[1].layers, g).size() == 2);
  const auto by_tensor = script::resolve_layers(r, r.quantization_params[2].layers, g);
  REQUIRE(by_tensor.size() == 1);
  CHECK(by_tensor[0]->name == "/f1/Gemm");
  // Later statements win: /c1 and /c2 end at a8_w8, /f1 stays a16_w16.
  const plan::PlanRules p = plan::plan_rules(r, g);
  CHECK(p.precision.at("/c1/Conv").mode == "a8_w8");
  CHECK(p.precision.at("/f1/Gemm").mode == "a16_w16");
  CHECK(p.output_range.at("/f1/Gemm").source == "model.alls:3");

  const script::ScriptRules bad = compile("quantization_param(\n    {conv9*}, precision_mode=a16_w16)\n");
  CHECK_THROWS_WITH(script::resolve_layers(bad, bad.quantization_params[0].layers, g),
                    Catch::StartsWith("model.alls:2:5: no layer matches '{conv9*}' (closest layers: ") &&
                        Catch::Contains("see 'quantize parse-model --layers')"));
  const script::ScriptRules typo = compile("quantization_param(/c1/Cnv, precision_mode=a16_w16)\n");
  CHECK_THROWS_WITH(script::resolve_layers(typo, typo.quantization_params[0].layers, g),
                    Catch::Contains("no layer matches '/c1/Cnv' (closest layers: /c1/Conv,"));
}

TEST_CASE("every command, first argument and key of the vocabulary loads, and the docs list them", "[script]") {
  const std::string path = std::string(QUANT_TESTDATA_DIR) + "/scripts/hailo_vocabulary.alls";
  const script::ScriptRules rules = script::load_rules(path);
  // The script covers the table: each command, each of its first arguments, each key with its command.
  const std::vector<script::VocabularyEntry> table = script::script_vocabulary();
  REQUIRE(table.size() > 80);
  int ignored = 0;
  for (const script::VocabularyEntry& e : table) {
    bool used = false;
    for (const script::Statement& st : rules.script.statements) {
      if (st.command != e.command) continue;
      if (e.kind.empty() && e.key.empty()) used = true;
      for (const script::Argument& a : st.args) {
        if (!e.kind.empty() && a.key.empty() && a.value.text == e.kind) used = true;
        if (!e.key.empty() && a.key == e.key) used = true;
      }
    }
    INFO(e.command << " " << e.kind << " " << e.key);
    CHECK(used);
    ignored += !e.instead.empty();
  }
  CHECK(ignored > 50);
  // One warning per statement of an ignored command or first argument, one per ignored key used in
  // an implemented statement, one for the per-layer equalization; none is silent.
  CHECK(rules.warnings.size() == 49);
  CHECK(rules.equalization == true);
  CHECK(rules.bias_correction == false);
  REQUIRE(rules.activation_clipping.size() == 1);
  CHECK(rules.activation_clipping[0].percentile);  // percentile_force clips as percentile
  // docs/model-script.md names every entry of the table.
  std::ifstream docs(std::string(QUANT_TESTDATA_DIR) + "/../docs/model-script.md");
  const std::string text((std::istreambuf_iterator<char>(docs)), std::istreambuf_iterator<char>());
  for (const script::VocabularyEntry& e : table) {
    const std::string word = !e.key.empty() ? e.key : (!e.kind.empty() ? e.kind : e.command);
    INFO(word);
    CHECK(text.find("`" + word) != std::string::npos);
  }
}

TEST_CASE("misspelled commands, first arguments and keys fail with a did-you-mean", "[script]") {
  CHECK_THROWS_WITH(compile("pre_quantization_optimization(activation_cliping, layers={*}, clipping_values=[0, 99])\n"),
                    Catch::StartsWith("model.alls:1:31: unknown pre_quantization_optimization 'activation_cliping' (did you mean "
                                      "'activation_clipping'? expected one of activation_clipping,"));
  CHECK_THROWS_WITH(compile("post_quantization_optimization(finetune, learning_rat=0.1)\n"),
                    Catch::StartsWith("model.alls:1:42: unknown key 'learning_rat' for post_quantization_optimization (did you mean 'learning_rate'?"));
  CHECK_THROWS_WITH(compile("model_optimization_config(calibration, calibset=64)\n"),
                    Catch::StartsWith("model.alls:1:40: unknown key 'calibset' for model_optimization_config (did you mean 'calibset_size'?"));
  CHECK_THROWS_WITH(compile("nms_postproces(\"a.json\")\n"), Catch::StartsWith("model.alls:1:1: unknown command 'nms_postproces' (did you mean 'nms_postprocess'?)"));
}
