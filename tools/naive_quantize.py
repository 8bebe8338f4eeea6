#!/usr/bin/python3
"""A plain post-training quantizer in the style of ONNX Runtime's quantize_static (QDQ format), the
baseline quant's own results are judged against (docs/accuracy.md):
  - uint8 asymmetric activations on every float input and output of Conv, ConvTranspose, Gemm and
    MatMul, from the min/max seen on the calibration data (range widened to include 0);
  - int8 symmetric per-channel weights (Conv/ConvTranspose/Gemm: the output-channel axis; MatMul:
    the last axis), float biases;
  - nothing else quantized.

    /usr/bin/python3 tools/naive_quantize.py PREPARED.onnx CALIB.npy OUT.onnx QUANTIZE_BINARY

Takes a model already prepared by `quantize prepare` (opset 13, weights as initializers), so that
both quantizers see the same graph. Calibration runs the float model in quant's own interpreter
(`quantize infer`, with the needed tensors added as graph outputs). Needs Debian's python3-onnx.
"""
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference

COMPUTE = {"Conv": 0, "ConvTranspose": 1, "Gemm": None, "MatMul": -1}  # op -> weight channel axis


def weight_axis(node, w):
    if node.op_type == "Gemm":
        trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
        return 0 if trans_b else 1
    axis = COMPUTE[node.op_type]
    return axis % w.ndim


def quantize_weight(w, axis):
    amax = np.abs(w).max(axis=tuple(d for d in range(w.ndim) if d != axis))
    scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.rint(w / scale.reshape(shape)), -127, 127).astype(np.int8)
    return q, scale


def activation_params(lo, hi):
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = (hi - lo) / 255.0 if hi > lo else 1.0
    zp = int(np.clip(np.rint(-lo / scale), 0, 255))
    return np.float32(scale), np.uint8(zp)


def main():
    src, calib, dst, quantize = sys.argv[1:5]
    model = shape_inference.infer_shapes(onnx.load(src))
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    types = {v.name: v.type.tensor_type.elem_type for v in [*g.input, *g.output, *g.value_info]}
    activations, weights = [], []
    for n in g.node:
        if n.op_type not in COMPUTE:
            continue
        for i, name in enumerate(n.input):
            if not name:
                continue
            if name in inits:
                if i == 1:
                    weights.append((n, name))
            elif types.get(name) == TensorProto.FLOAT and name not in activations:
                activations.append(name)
        for name in n.output:
            if types.get(name) == TensorProto.FLOAT and name not in activations:
                activations.append(name)

    # Calibration: min/max of every activation, from quant's float interpreter.
    with tempfile.TemporaryDirectory() as tmp:
        probe = onnx.load(src)
        outputs = {o.name for o in probe.graph.output}
        for name in activations:
            if name not in outputs:
                probe.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
        probe_path = os.path.join(tmp, "probe.onnx")
        onnx.save(probe, probe_path)
        subprocess.run([quantize, "-q", "infer", probe_path, "--input", f"{g.input[0].name}={calib}", "-o", tmp], check=True)
        ranges = {}
        for name in activations:
            v = np.load(os.path.join(tmp, re.sub(r"[^A-Za-z0-9._-]", "_", name) + ".npy"))
            ranges[name] = (v.min(), v.max())

    new_nodes, new_inits = [], []
    rename = {}
    for name in activations:
        scale, zp = activation_params(*ranges[name])
        new_inits += [numpy_helper.from_array(np.array(scale), name + "_scale"), numpy_helper.from_array(np.array(zp), name + "_zp")]
        new_nodes += [helper.make_node("QuantizeLinear", [name, name + "_scale", name + "_zp"], [name + "_q"], name=name + "_Q"),
                      helper.make_node("DequantizeLinear", [name + "_q", name + "_scale", name + "_zp"], [name + "_dq"], name=name + "_DQ")]
        rename[name] = name + "_dq"
    for n, name in weights:
        w = numpy_helper.to_array(inits[name])
        axis = weight_axis(n, w)
        q, scale = quantize_weight(w, axis)
        new_inits += [numpy_helper.from_array(q, name + "_wq"), numpy_helper.from_array(scale, name + "_wscale"),
                      numpy_helper.from_array(np.zeros(scale.shape, np.int8), name + "_wzp")]
        new_nodes.append(helper.make_node("DequantizeLinear", [name + "_wq", name + "_wscale", name + "_wzp"], [name + "_wdq"],
                                          name=name + "_WDQ", axis=axis))
        rename[name] = name + "_wdq"
    graph_outputs = {o.name for o in g.output}
    for n in g.node:
        for i, name in enumerate(n.input):
            if name in rename:
                n.input[i] = rename[name]
    # A graph output keeps its name: its readers above read the dequantized copy; the output itself
    # is the dequantized value too.
    for o in g.output:
        if o.name in rename:
            for n in g.node:
                for i, out in enumerate(n.output):
                    if out == o.name:
                        n.output[i] = o.name + "_float"
            for nn in new_nodes:
                for i, inp in enumerate(nn.input):
                    if inp == o.name:
                        nn.input[i] = o.name + "_float"
                for i, out in enumerate(nn.output):
                    if out == rename[o.name]:
                        nn.output[i] = o.name
            for n in g.node:
                for i, inp in enumerate(n.input):
                    if inp == rename[o.name]:
                        n.input[i] = o.name
    g.node.extend(new_nodes)
    kept = [i for i in g.initializer if i.name not in {name for _, name in weights}]  # the float weights now stored as int8
    del g.initializer[:]
    g.initializer.extend(kept + new_inits)
    # Topological order: ONNX wants producers first.
    produced = {i.name for i in g.initializer} | {i.name for i in g.input}
    ordered, pending = [], list(g.node)
    while pending:
        ready = [n for n in pending if all(not i or i in produced for i in n.input)]
        if not ready:
            raise SystemExit("naive_quantize: the graph has a cycle or a dangling input")
        for n in ready:
            ordered.append(n)
            produced.update(n.output)
        pending = [n for n in pending if n not in ready]
    del g.node[:]
    g.node.extend(ordered)
    del g.value_info[:]
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    print(f"naive_quantize: {len(activations)} activations, {len(weights)} weights -> {dst}")


main()
