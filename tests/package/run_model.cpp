// Loads an ONNX model with quant's library, runs it on zeros and prints each output's type and
// shape, and one fixed-point multiplier: enough to show the headers, libraries and their
// dependencies all resolve from the installed package.
#include <iostream>

#include "interp/interpreter.h"
#include "onnx/load.h"
#include "qmath/fixed_point.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: run_model MODEL.onnx\n";
    return 2;
  }
  try {
    quant::ir::Model model = quant::onnx_io::load_model(argv[1]);
    const quant::ir::ValueInfo& input = model.graph.inputs.at(0);
    quant::Shape shape;
    for (const quant::ir::Dim& d : input.dims) shape.push_back(d.fixed() ? d.size : 1);
    const quant::interp::Interpreter interpreter(model.graph);
    const quant::interp::TensorMap outputs = interpreter.run({{input.name, quant::Tensor(quant::DType::Float32, shape)}});
    for (const auto& [name, value] : outputs) std::cout << name << " " << value.describe() << "\n";
    std::cout << "m0_q31(0.01) " << quant::qmath::quantize_multiplier(0.01).m0_q31 << "\n";
  } catch (const quant::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
