#!/usr/bin/python3
"""Writes the old-opset test models of testdata/prepare/: one small model per op form that quant's
preparation stage rewrites (opset upgrade rules, Constant weights, Identity/Dropout, BatchNormalization
folding, Einsum products as MatMul), each with a deterministic input NAME.x.npy.

Uses Debian's python3-onnx (onnx.helper), run with the system Python:
    /usr/bin/python3 tools/make_prepare_models.py testdata/prepare
The files are committed (a few KB); tests/e2e/prepare_e2e.sh checks that `quantize prepare` keeps
each model's outputs equal in ONNX Runtime.
"""
import os
import sys

import numpy as np
from onnx import TensorProto, checker, helper, numpy_helper, shape_inference

OUT = sys.argv[1] if len(sys.argv) > 1 else "testdata/prepare"
rng = np.random.default_rng(20261125)


def t(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def const_node(name, arr):
    return helper.make_node("Constant", [], [name], name=name + "_const", value=t(name, arr))


def save(name, opset, nodes, x_shape, outputs, initializers=(), x_dtype=np.float32, extra_inputs=()):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape))
    outs = [helper.make_empty_tensor_value_info(o[0]) for o in outputs]
    graph = helper.make_graph(nodes, name, [x, *extra_inputs], outs, initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_prepare_models")
    model.ir_version = 6 if opset < 13 else 7
    # Declare the outputs with the element types and shapes ONNX's shape inference gives them.
    # (An output whose shape inference cannot tell gets a rank of unknown dims.)
    done = shape_inference.infer_shapes(model).graph
    inferred = {v.name: v for v in [*done.value_info, *done.output] if v.type.tensor_type.HasField("shape")}
    for out, (o, elem, *rank) in zip(model.graph.output, outputs):
        out.CopyFrom(inferred[o] if o in inferred else helper.make_tensor_value_info(o, elem, [None] * rank[0]))
    checker.check_model(model)
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(model.SerializeToString())
    np.save(os.path.join(OUT, name + ".x.npy"), rng.standard_normal(x_shape).astype(x_dtype))


F = TensorProto.FLOAT
I64 = TensorProto.INT64


def main():
    os.makedirs(OUT, exist_ok=True)
    # Softmax family before 13: 2-D coercion at axis (not the last axis), and the last-axis case.
    save("softmax_axis1_opset9", 9,
         [helper.make_node("Softmax", ["x"], ["y"], axis=1),
          helper.make_node("LogSoftmax", ["x"], ["z"], axis=2)],
         (2, 3, 4, 5), [("y", F), ("z", F)])
    save("softmax_last_axis_opset11", 11,
         [helper.make_node("Softmax", ["x"], ["y"], axis=-1),
          helper.make_node("Hardmax", ["x"], ["z"], axis=1)],
         (3, 10), [("y", F), ("z", F)])
    # Upsample-7 (scales attribute), Upsample-9 (scales input), linear and nearest.
    save("upsample_nearest_opset7", 7,
         [helper.make_node("Upsample", ["x"], ["y"], mode="nearest", scales=[1.0, 1.0, 2.0, 3.0])],
         (1, 2, 3, 4), [("y", F)])
    save("upsample_linear_opset9", 9,
         [helper.make_node("Upsample", ["x", "scales"], ["y"], mode="linear")],
         (1, 2, 3, 4), [("y", F)], [t("scales", np.array([1, 1, 2, 2], np.float32))])
    # Resize-10: asymmetric coordinates.
    save("resize_opset10", 10,
         [helper.make_node("Resize", ["x", "s1"], ["y"], mode="nearest"),
          helper.make_node("Resize", ["x", "s2"], ["z"], mode="linear")],
         (1, 2, 3, 4), [("y", F), ("z", F)],
         [t("s1", np.array([1, 1, 2, 2], np.float32)), t("s2", np.array([1, 1, 1.5, 2.5], np.float32))])
    # BatchNormalization-7 (spatial) after Conv and after Gemm, with a Relu: upgrade and folding.
    w = rng.standard_normal((4, 2, 3, 3)).astype(np.float32) * 0.3
    bn = [rng.uniform(0.5, 1.5, 4), rng.standard_normal(4), rng.standard_normal(4) * 0.1, rng.uniform(0.5, 2, 4)]
    bn2 = [rng.uniform(0.5, 1.5, 6), rng.standard_normal(6), rng.standard_normal(6) * 0.1, rng.uniform(0.5, 2, 6)]
    save("batchnorm_opset7", 7,
         [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
          helper.make_node("BatchNormalization", ["c", "g", "be", "mu", "var"], ["n"], epsilon=1e-3, spatial=1),
          helper.make_node("Relu", ["n"], ["r"]),
          helper.make_node("Flatten", ["r"], ["f"], axis=1),
          helper.make_node("Gemm", ["f", "wg", "bg"], ["m"], transB=1, beta=0.5),
          helper.make_node("BatchNormalization", ["m", "g2", "be2", "mu2", "var2"], ["y"], epsilon=1e-5)],
         (2, 2, 5, 5), [("y", F)],
         [t("w", w), t("b", rng.standard_normal(4).astype(np.float32)),
          *[t(n, v.astype(np.float32)) for n, v in zip(["g", "be", "mu", "var"], bn)],
          t("wg", (rng.standard_normal((6, 100)) * 0.1).astype(np.float32)), t("bg", rng.standard_normal(6).astype(np.float32)),
          *[t(n, v.astype(np.float32)) for n, v in zip(["g2", "be2", "mu2", "var2"], bn2)]])
    # Dropout-10 (ratio attribute, mask unused) and Identity chains.
    save("dropout_identity_opset10", 10,
         [helper.make_node("Identity", ["x"], ["i1"]),
          helper.make_node("Dropout", ["i1"], ["d", "mask"], ratio=0.3),
          helper.make_node("Relu", ["d"], ["r"]),
          helper.make_node("Identity", ["r"], ["y"])],
         (2, 5), [("y", F)])
    # Slice-1 attributes, Pad-2 attributes, Clip-6 attributes.
    save("slice_pad_clip_opset9", 9,
         [helper.make_node("Slice", ["x"], ["s"], starts=[1, 0], ends=[3, 100], axes=[1, 3]),
          helper.make_node("Pad", ["s"], ["p"], pads=[0, 0, 1, 2, 0, 0, 2, 1], value=1.5),
          helper.make_node("Pad", ["s"], ["q"], pads=[0, 0, 1, 1, 0, 0, 1, 1], mode="reflect"),
          helper.make_node("Clip", ["p"], ["y"], min=-0.5, max=1.0),
          helper.make_node("Clip", ["q"], ["z"], min=0.0)],
         (1, 4, 3, 5), [("y", F), ("z", F)])
    # Split/Squeeze/Unsqueeze/ReduceSum attributes (opset 11) and TopK's k attribute (opset 9).
    save("axes_attributes_opset11", 11,
         [helper.make_node("Split", ["x"], ["a", "b"], axis=1, split=[1, 3]),
          helper.make_node("Squeeze", ["a"], ["sq"], axes=[1]),
          helper.make_node("Unsqueeze", ["sq"], ["us"], axes=[0, -1]),
          helper.make_node("ReduceSum", ["b"], ["y"], axes=[1, -1], keepdims=0),
          helper.make_node("Identity", ["us"], ["z"])],
         (2, 4, 3, 5), [("y", F), ("z", F)])
    save("topk_opset9", 9,
         [helper.make_node("TopK", ["x"], ["v", "i"], k=3, axis=1),
          helper.make_node("Cast", ["i"], ["y"], to=F),
          helper.make_node("Add", ["v", "y"], ["z"])],
         (2, 7), [("z", F)])
    # Every weight as a Constant node (as Paddle2ONNX writes them): a transposed weight, a weight
    # reached through Identity and Reshape, a scale Mul, a shape computed by Shape/Gather/Concat.
    wt = (rng.standard_normal((3, 3, 2, 4)) * 0.3).astype(np.float32)  # HWIO, transposed to OIHW
    save("constant_weights_opset11", 11,
         [const_node("w_hwio", wt),
          helper.make_node("Transpose", ["w_hwio"], ["w"], perm=[3, 2, 0, 1]),
          const_node("b", rng.standard_normal(4).astype(np.float32)),
          helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
          const_node("scale", np.array(0.5, np.float32)),
          helper.make_node("Mul", ["c", "scale"], ["cs"]),
          helper.make_node("Relu", ["cs"], ["r"]),
          helper.make_node("Shape", ["r"], ["shape"]),
          const_node("zero", np.array([0], np.int64)),
          helper.make_node("Gather", ["shape", "zero"], ["n"], axis=0),
          const_node("minus1", np.array([-1], np.int64)),
          helper.make_node("Concat", ["n", "minus1"], ["flat_shape"], axis=0),
          helper.make_node("Reshape", ["r", "flat_shape"], ["f"]),
          const_node("wf_flat", (rng.standard_normal((5 * 100,)) * 0.1).astype(np.float32)),
          const_node("wf_shape", np.array([100, 5], np.int64)),
          helper.make_node("Reshape", ["wf_flat", "wf_shape"], ["wf"]),
          helper.make_node("Identity", ["wf"], ["wf_tied"]),
          helper.make_node("MatMul", ["f", "wf_tied"], ["m"]),
          const_node("bf", rng.standard_normal(5).astype(np.float32)),
          helper.make_node("Add", ["m", "bf"], ["y"])],
         (2, 2, 5, 5), [("y", F, 2)])
    # Scatter-9 (deprecated at 11).
    save("scatter_opset9", 9,
         [helper.make_node("Scatter", ["x", "idx", "upd"], ["y"], axis=1)],
         (2, 5), [("y", F)],
         [t("idx", np.array([[0, 2], [4, 1]], np.int64)), t("upd", np.array([[10, 20], [30, 40]], np.float32))])
    # If around an LSTM, as voice-activity models export it: the branch is picked by the input's
    # size (constant once shapes are known), so prepare inlines the taken branch.
    H, I = 6, 4
    def lstm_branch(name, scale):
        w = (rng.standard_normal((1, 4 * H, I)) * scale).astype(np.float32)
        r = (rng.standard_normal((1, 4 * H, H)) * scale).astype(np.float32)
        b = (rng.standard_normal((1, 8 * H)) * 0.1).astype(np.float32)
        nodes = [const_node(name + "_W", w), const_node(name + "_R", r), const_node(name + "_B", b),
                 helper.make_node("LSTM", ["x", name + "_W", name + "_R", name + "_B"], [name + "_Y", name + "_Yh"], hidden_size=H),
                 helper.make_node("Squeeze", [name + "_Yh"], [name + "_h"], axes=[0])]
        out = helper.make_tensor_value_info(name + "_h", F, [2, H])
        return helper.make_graph(nodes, name, [], [out])
    wfc = (rng.standard_normal((H, 3)) * 0.3).astype(np.float32)
    save("if_lstm_opset11", 11,
         [helper.make_node("Shape", ["x"], ["shape"]),
          const_node("two", np.array(2, np.int64)),
          helper.make_node("Gather", ["shape", "two"], ["features"], axis=0),
          const_node("four", np.array(4, np.int64)),
          helper.make_node("Equal", ["features", "four"], ["is_four"]),
          helper.make_node("If", ["is_four"], ["h"], then_branch=lstm_branch("then", 0.4), else_branch=lstm_branch("else", 0.2)),
          helper.make_node("MatMul", ["h", "wfc"], ["y"])],
         (5, 2, I), [("y", F)], [t("wfc", wfc)])
    # An If whose condition depends on the data: it stays, and runs in float inside the quantized model.
    then_g = helper.make_graph([helper.make_node("Relu", ["x"], ["t_out"])], "then", [], [helper.make_tensor_value_info("t_out", F, [3, 4])])
    else_g = helper.make_graph([helper.make_node("Neg", ["x"], ["e_out"])], "else", [], [helper.make_tensor_value_info("e_out", F, [3, 4])])
    save("if_dynamic_opset13", 13,
         [helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
          const_node("zero_f", np.array(0, np.float32)),
          helper.make_node("Greater", ["s", "zero_f"], ["positive"]),
          helper.make_node("If", ["positive"], ["branch"], then_branch=then_g, else_branch=else_g),
          helper.make_node("Add", ["branch", "x"], ["y"])],
         (3, 4), [("y", F)])
    # A constant subgraph whose result is large (ConstantOfShape of 1100 x 1000): left to run, with a warning.
    save("large_constant_opset13", 13,
         [const_node("big_shape", np.array([1100, 1000], np.int64)),
          helper.make_node("ConstantOfShape", ["big_shape"], ["ones"], value=t("one", np.array([1.0], np.float32))),
          helper.make_node("Add", ["x", "ones"], ["y"])],
         (1000,), [("y", F)])
    # RoiAlign-10 changes meaning at 16 (coordinate_transformation_mode): no rule, refused.
    rois = helper.make_tensor_value_info("rois", F, [1, 4])
    save("roialign_opset10", 10,
         [helper.make_node("RoiAlign", ["x", "rois", "bi"], ["y"], output_height=2, output_width=2)],
         (1, 1, 4, 4), [("y", F)], [t("bi", np.array([0], np.int64))], extra_inputs=[rois])
    # (Added last, so that the inputs drawn above stay as they were.)
    # Einsum products that become MatMul: attention scores and values, a weight behind "...", a
    # second operand with a leading label the first lacks (an axis of size 1 inserted), and one
    # whose first operand lacks the second's leading label (broadcasting alone).
    einsum_rng = np.random.default_rng(20261203)
    save("einsum_products_opset13", 13,
         [helper.make_node("Sin", ["x"], ["k"]),
          helper.make_node("Einsum", ["x", "k"], ["scores"], equation="nqhd,nkhd->nhqk"),
          helper.make_node("Einsum", ["scores", "x"], ["values"], equation="nhqk,nkhd->nqhd"),
          helper.make_node("Einsum", ["x", "w"], ["linear"], equation="...d,de->...e"),
          helper.make_node("Reshape", ["x", "rows_shape"], ["rows"]),
          helper.make_node("Einsum", ["rows", "w3"], ["outer_rows"], equation="bij,jkl->bikl"),
          helper.make_node("Reshape", ["x", "flat_shape"], ["flat"]),
          helper.make_node("Einsum", ["flat", "w4"], ["outer_flat"], equation="ij, kjl -> kil")],
         (2, 5, 3, 4), [("scores", F), ("values", F), ("linear", F), ("outer_rows", F), ("outer_flat", F)],
         [t("w", einsum_rng.standard_normal((4, 6)).astype(np.float32)),
          t("w3", einsum_rng.standard_normal((4, 2, 3)).astype(np.float32)),
          t("w4", einsum_rng.standard_normal((2, 4, 3)).astype(np.float32)),
          t("rows_shape", np.array([2, 15, 4], np.int64)), t("flat_shape", np.array([30, 4], np.int64))])
    # Einsum forms left as they are: a sum within one operand, several contracted labels, none, a
    # diagonal, three operands.
    save("einsum_kept_opset13", 13,
         [helper.make_node("Einsum", ["x"], ["summed"], equation="nqhd->nhd"),
          helper.make_node("Einsum", ["x", "x"], ["dots"], equation="nqhd,nqhd->n"),
          helper.make_node("Einsum", ["x", "x"], ["outer"], equation="nqhd,nkhd->nhqkd"),
          helper.make_node("Einsum", ["x"], ["diagonal"], equation="nqhh->nqh"),
          helper.make_node("Einsum", ["x", "x", "x"], ["triple"], equation="nqhd,nqhd,nqhd->nd")],
         (2, 5, 3, 3), [("summed", F), ("dots", F), ("outer", F), ("diagonal", F), ("triple", F)])
    # Scan over the second axis, last step first, its outputs stacked along axis 1; the body reads a
    # weight of the graph around it. (After the Einsum models, for the inputs drawn before.)
    body = helper.make_graph(
        [helper.make_node("Mul", ["x_t", "scan_w"], ["xw"]), helper.make_node("Add", ["s_in", "xw"], ["s_out"]),
         helper.make_node("Tanh", ["s_out"], ["y_t"])],
        "scan_body",
        [helper.make_tensor_value_info("s_in", F, [2, 3]), helper.make_tensor_value_info("x_t", F, [2, 3])],
        [helper.make_tensor_value_info("s_out", F, [2, 3]), helper.make_tensor_value_info("y_t", F, [2, 3])])
    save("scan_reverse_opset11", 11,
         [helper.make_node("Scan", ["s0", "x"], ["s_final", "ys"], body=body, num_scan_inputs=1, scan_input_axes=[1],
                           scan_input_directions=[1], scan_output_axes=[1])],
         (2, 5, 3), [("s_final", F), ("ys", F)],
         [t("s0", np.zeros((2, 3), np.float32)), t("scan_w", np.array([0.5, -1.0, 2.0], np.float32))])
    # Scan-8, the batched form with sequence_lens, whose form changes at 9: no rule, refused.
    body8 = helper.make_graph(
        [helper.make_node("Add", ["s8_in", "x8_t"], ["s8_out"]), helper.make_node("Identity", ["s8_out"], ["y8_t"])],
        "scan8_body",
        [helper.make_tensor_value_info("s8_in", F, [3]), helper.make_tensor_value_info("x8_t", F, [3])],
        [helper.make_tensor_value_info("s8_out", F, [3]), helper.make_tensor_value_info("y8_t", F, [3])])
    save("scan8_opset8", 8,
         [helper.make_node("Scan", ["", "s8", "x"], ["s8_final", "ys8"], body=body8, num_scan_inputs=1)],
         (2, 5, 3), [("s8_final", F), ("ys8", F)], [t("s8", np.zeros((2, 3), np.float32))])


main()
