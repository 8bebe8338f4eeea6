#!/usr/bin/python3
"""Writes the hostile models of tests/cli/hostile_models.sh into testdata/hostile/ (a few hundred
bytes each): models that try to make quant read outside their folder or allocate what they do not
hold. Each is y = x + w with x float[3] and w a crafted initializer (or made from one).

    /usr/bin/python3 tools/make_hostile_models.py testdata/hostile
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else "testdata/hostile"


def model(name, w, nodes=()):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    g = helper.make_graph(list(nodes) + [helper.make_node("Add", ["x", "w"], ["y"], name="add")], name, [x], [y], initializer=[w])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="tools/make_hostile_models.py")
    path = os.path.join(OUT, name + ".onnx")
    with open(path, "wb") as f:  # not onnx.save: it would check (and some of these fail the checker)
        f.write(m.SerializeToString())
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def external(location, offset=None, length=None, dims=(3,)):
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=list(dims))
    w.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", offset), ("length", length)):
        if value is not None:
            entry = w.external_data.add()
            entry.key, entry.value = key, str(value)
    return w


def main():
    os.makedirs(os.path.join(OUT, "data"), exist_ok=True)
    weights = np.array([100, 200, 300], np.float32)
    with open(os.path.join(OUT, "data", "w.bin"), "wb") as f:
        f.write(b"\0" * 8 + weights.tobytes())
    # Legitimate: external data in a subfolder, at an offset.
    model("external_subfolder", external("data/w.bin", offset=8, length=12))
    # Read any file on the machine: an absolute location, a climbing one; one through a link the
    # test creates (external_link.bin -> /etc/passwd) and one at a FIFO it creates.
    model("external_absolute", external("/etc/passwd"))
    model("external_parent", external("../../../../../../etc/passwd"))
    model("external_link", external("external_link.bin"))
    model("external_fifo", external("external_fifo.bin"))
    # Offsets and lengths beyond the file; a length that disagrees with the shape.
    model("external_offset_beyond", external("data/w.bin", offset=1000))
    model("external_length_mismatch", external("data/w.bin", offset=8, length=4))
    model("external_bad_offset", external("data/w.bin", offset="-8"))
    # Declared sizes with no data behind them: 10^13 floats (40 TB), and 2^62 + 19 floats whose byte
    # count overflows 64 bits, with 76 bytes of raw data.
    huge = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[100000, 100000, 1000])
    model("huge_declared", huge)
    overflow = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2**62 + 19])
    overflow.raw_data = b"\0" * 76
    model("size_overflow", overflow)
    # Small files whose tensors are made at run time: w = ConstantOfShape([100000, 100000, 3]) and
    # w = Expand(x, [100000, 100000, 3]), 112 GiB each.
    shape = numpy_helper.from_array(np.array([100000, 100000, 3], np.int64), "shape")
    model("huge_constant_of_shape", shape, [helper.make_node("ConstantOfShape", ["shape"], ["w"], name="fill")])
    model("huge_expand", shape, [helper.make_node("Expand", ["x", "shape"], ["w"], name="expand")])


main()
