#!/usr/bin/python3
"""Writes the corpus of real architectures that quant's tests run end to end (testdata/corpus/):
PyTorch exports (Debian's python3-torch 1.13, fixed seeds) of the model families users bring.

    /usr/bin/python3 tools/make_corpus.py testdata/corpus

Trained for a little while on Fashion-MNIST (Debian's dataset-fashion-mnist; input [N, 1, 28, 28]
normalized as ((pixel / 255) - 0.2860) / 0.3530, like the bundled CNNs), so that accuracy, not only
agreement, is measured:
  vit_tiny_opset13.onnx, vit_tiny_opset17.onnx  patch conv, 2 encoder blocks (attention, LayerNorm,
                                                 GELU); at 13 LayerNorm is decomposed, at 17 one op
  gru_rows.onnx, lstm_rows.onnx                  the 28 image rows as a sequence
  vad_if_lstm.onnx                               a voice-activity-detector-shaped model: inputs
                                                 `input` and a sample rate `sr` (int64 scalar);
                                                 If(sr == 16000) picks one of two Conv1d + LSTM
                                                 networks (the other reads every second column),
                                                 as Silero VAD picks its 16 kHz or 8 kHz branch
Random weights (output SQNR is measured):
  conv1d_audio.onnx      Conv1d/BatchNorm/ReLU/pooling over a 1x4000 waveform
  yolo_head.onnx         a small backbone, Upsample + Concat, a detection head split into box,
                         objectness (Sigmoid) and class outputs
  yolo_nms.onnx          yolo_head with a detector's post-processing (--detect): boxes decoded,
                         scores = objectness x class, NonMaxSuppression (center boxes, as the
                         symbolic torchvision's nms registers writes it) and a Gather of the
                         kept boxes; outputs `boxes`, `scores`, `selected`, `kept_boxes`
  einsum_attention.onnx  a transformer block whose attention is written with torch.einsum
                         (--detect: exported as Einsum at opset 13), over the 16 patches of a
                         Fashion-MNIST image
  loop_rows.onnx         a conv stem, then a recurrent cell over the 28 rows written as a Python loop
                         in a torch.jit.script module (--loop): a Loop whose body reads the stem's
                         rows and the cell's weights from the graph around it
  cnn_opset9.onnx        BatchNorm, nn.Upsample and Softmax(dim=1) exported at opset 9
  constant_weights.onnx  cnn_opset9 with every initializer turned into a Constant node, as
                         Paddle2ONNX writes weights
  resnet18_224.onnx, mobilenetv2_224.onnx  ImageNet-shaped classifiers at 224x224 (with --large only:
                         too large to commit, the tests write them into the build folder)
Calibration and test inputs: the Fashion-MNIST models calibrate on fashion_calib_128.npy (the
first 128 training images) and are judged on testdata/inputs/fashion_test_500.npy (test images,
with labels); the others come with NAME.calib.npy and NAME.test.npy (different random draws).
"""
import gzip
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else "testdata/corpus"
# --large: only the ResNet-18- and MobileNetV2-shaped models at 224x224 (random weights), into OUT.
# --vad: only vad_if_lstm.onnx; --detect: only yolo_nms.onnx and einsum_attention.onnx; --loop:
# only loop_rows.onnx (each model's seed is its own: adding one does not change the others).
DATA = "/usr/share/datasets/fashion-mnist"
torch.manual_seed(20261125)
np.random.seed(20261125)
torch.set_num_threads(2)


def fashion(split, count):
    prefix = "train" if split == "train" else "t10k"
    with gzip.open(f"{DATA}/{prefix}-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:count]
    with gzip.open(f"{DATA}/{prefix}-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)[:count]
    return ((x.astype(np.float32) / 255.0) - 0.2860) / 0.3530, y.astype(np.int64)


def train(model, epochs, count=20000, lr=2e-3):
    x, y = fashion("train", count)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt), 128):
            idx = perm[i:i + 128]
            opt.zero_grad()
            F.cross_entropy(model(xt[idx]), yt[idx]).backward()
            opt.step()
    model.eval()
    tx, ty = fashion("test", 2000)
    with torch.no_grad():
        acc = (model(torch.from_numpy(tx)).argmax(1).numpy() == ty).mean()
    print(f"  trained: top-1 {acc:.4f} on 2000 test images")


def export(model, name, example, opset, dynamic_batch=True):
    path = os.path.join(OUT, name + ".onnx")
    axes = {"input": {0: "N"}, "output": {0: "N"}} if dynamic_batch else None
    torch.onnx.export(model, example, path, opset_version=opset, input_names=["input"], output_names=["output"],
                      dynamic_axes=axes, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))
    print(f"wrote {path}")
    return path


def save_inputs(name, calib, test):
    np.save(os.path.join(OUT, name + ".calib.npy"), calib.astype(np.float32))
    np.save(os.path.join(OUT, name + ".test.npy"), test.astype(np.float32))
    print(f"wrote {name}.calib.npy {calib.shape}, {name}.test.npy {test.shape}")


class Block(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class TinyViT(nn.Module):
    def __init__(self, dim=48, depth=2, heads=3):
        super().__init__()
        self.patch = nn.Conv2d(1, dim, 7, stride=7)  # 16 patches of 7x7
        self.pos = nn.Parameter(torch.randn(1, 16, dim) * 0.02)
        self.blocks = nn.Sequential(*[Block(dim, heads, 2 * dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2) + self.pos
        x = self.norm(self.blocks(x))
        return self.head(x.mean(1))


class Rows(nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.rnn = cell(28, 64, batch_first=True)
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        out, _ = self.rnn(x.reshape(x.shape[0], 28, 28))
        return self.head(out[:, -1])


class ConvLstm(nn.Module):
    """One branch of the VAD-shaped model: the image rows as a sequence (every `step`-th column),
    a Conv1d front end over time, an LSTM, and a classifier on the last step."""
    def __init__(self, step):
        super().__init__()
        self.step = step
        self.front = nn.Conv1d(28 // step, 32, 3, padding=1)
        self.rnn = nn.LSTM(32, 64, batch_first=True)
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        rows = x.reshape(x.shape[0], 28, 28)[:, :, ::self.step]      # [N, T=28, F]
        feats = F.relu(self.front(rows.transpose(1, 2))).transpose(1, 2)
        out, _ = self.rnn(feats)
        return self.head(out[:, -1])


def branch_graph(path, prefix):
    # An exported model as an If branch: it reads the outer graph's `input` (no inputs of its own);
    # every other name gets the prefix, as ONNX wants names unique across subgraphs.
    g = onnx.load(path).graph
    def rename(name):
        return name if name in ("", "input") else prefix + name
    for node in g.node:
        node.name = prefix + (node.name or node.op_type)
        node.input[:] = [rename(n) for n in node.input]
        node.output[:] = [rename(n) for n in node.output]
    for init in g.initializer:
        init.name = rename(init.name)
    for v in list(g.output) + list(g.value_info):
        v.name = rename(v.name)
    del g.input[:]
    g.name = prefix + "branch"
    return g


def vad_model():
    torch.manual_seed(20261201)
    branches = {}
    for rate, step in ((16000, 1), (8000, 2)):
        print(f"vad_if_lstm: {rate} Hz branch")
        model = ConvLstm(step)
        train(model, epochs=2)
        branches[rate] = branch_graph(export(model, f"vad_branch_{rate}", torch.zeros(1, 1, 28, 28), 13), f"sr{rate}_")
        os.remove(os.path.join(OUT, f"vad_branch_{rate}.onnx"))
    x = helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT, ["N", 1, 28, 28])
    sr = helper.make_tensor_value_info("sr", onnx.TensorProto.INT64, [])
    out = helper.make_tensor_value_info("output", onnx.TensorProto.FLOAT, ["N", 10])
    nodes = [
        helper.make_node("Constant", [], ["sr_16k"], name="sr_16k", value=numpy_helper.from_array(np.array(16000, np.int64))),
        helper.make_node("Equal", ["sr", "sr_16k"], ["is_16k"], name="is_16k"),
        helper.make_node("If", ["is_16k"], ["output"], name="pick_branch", then_branch=branches[16000], else_branch=branches[8000]),
    ]
    model = helper.make_model(helper.make_graph(nodes, "vad_if_lstm", [x, sr], [out]),
                              opset_imports=[helper.make_opsetid("", 13)], producer_name="tools/make_corpus.py")
    onnx.checker.check_model(model)
    path = os.path.join(OUT, "vad_if_lstm.onnx")
    onnx.save(model, path)
    print(f"wrote {path}")


class Audio(nn.Module):
    def __init__(self):
        super().__init__()
        layers, c = [], 1
        for out, k, s in [(16, 9, 4), (32, 5, 2), (32, 5, 2), (64, 3, 2)]:
            layers += [nn.Conv1d(c, out, k, stride=s, padding=k // 2), nn.BatchNorm1d(out), nn.ReLU()]
            c = out
        self.features = nn.Sequential(*layers, nn.MaxPool1d(2))
        self.head = nn.Linear(64, 12)

    def forward(self, x):
        return self.head(self.features(x).mean(-1))


class YoloHead(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        def cbr(i, o, s):
            return nn.Sequential(nn.Conv2d(i, o, 3, s, 1), nn.BatchNorm2d(o), nn.SiLU())
        self.c1, self.c2, self.c3 = cbr(3, 16, 2), cbr(16, 32, 2), cbr(32, 64, 2)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.fuse = cbr(64 + 32, 32, 1)
        self.pred = nn.Conv2d(32, 3 * (5 + classes), 1)
        self.classes = classes

    def forward(self, x):
        a = self.c2(self.c1(x))
        b = self.c3(a)
        y = self.pred(self.fuse(torch.cat([self.up(b), a], 1)))
        n, _, h, w = y.shape
        y = y.reshape(n, 3, 5 + self.classes, h, w)
        box, obj, cls = torch.split(y, [4, 1, self.classes], dim=2)
        return torch.cat([box, torch.sigmoid(obj), torch.sigmoid(cls)], 2)


class Nms(torch.autograd.Function):
    """NonMaxSuppression in the graph, as torchvision's registered symbolic writes it (torchvision is
    not packaged in Debian). The traced value is a placeholder: one row [0, 0, 0]."""
    @staticmethod
    def forward(ctx, boxes, scores, max_out, iou, score_threshold):
        return torch.zeros(1, 3, dtype=torch.int64)

    @staticmethod
    def symbolic(g, boxes, scores, max_out, iou, score_threshold):
        return g.op("NonMaxSuppression", boxes, scores, max_out, iou, score_threshold, center_point_box_i=1)


class YoloNms(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = YoloHead()

    def forward(self, x):
        y = self.head(x)  # [N, 3 anchors, 5 + classes, H, W]
        n, a, f, h, w = y.shape
        y = y.permute(0, 1, 3, 4, 2).reshape(n, a * h * w, f)
        boxes = torch.cat([torch.sigmoid(y[..., :2]) * 64, torch.exp(y[..., 2:4].clamp(max=4)) * 8], -1)
        scores = (y[..., 4:5] * y[..., 5:]).transpose(1, 2)
        selected = Nms.apply(boxes, scores, torch.tensor([20]), torch.tensor([0.5]), torch.tensor([0.25]))
        return boxes, scores, selected, boxes[0].index_select(0, selected[:, 2])


class EinsumAttention(nn.Module):
    def __init__(self, dim=48, heads=3):
        super().__init__()
        self.patch = nn.Conv2d(1, dim, 7, stride=7)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.heads = heads
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)  # [N, 16, dim]
        n, t, d = x.shape
        q, k, v = self.qkv(x).reshape(n, t, 3, self.heads, d // self.heads).unbind(2)
        attn = torch.softmax(torch.einsum("nqhd,nkhd->nhqk", q, k) / (d // self.heads) ** 0.5, -1)
        x = x + self.proj(torch.einsum("nhqk,nkhd->nqhd", attn, v).reshape(n, t, d))
        return self.head(x.mean(1))


def detect_models():
    torch.manual_seed(20261203)
    print("yolo_nms")
    yolo = YoloNms()
    randomize_bn(yolo)
    yolo.eval()
    path = os.path.join(OUT, "yolo_nms.onnx")
    torch.onnx.export(yolo, torch.zeros(1, 3, 64, 64), path, opset_version=13, input_names=["input"],
                      output_names=["boxes", "scores", "selected", "kept_boxes"],
                      dynamic_axes={"input": {0: "N"}, "boxes": {0: "N"}, "scores": {0: "N"}}, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))
    print(f"wrote {path}")
    print("einsum_attention")
    model = EinsumAttention()
    model.eval()
    export(model, "einsum_attention", torch.zeros(1, 1, 28, 28), 13)


class RowLoop(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 4, 3, padding=1)
        self.inp, self.rec = nn.Linear(4 * 28, 32), nn.Linear(32, 32)
        self.head = nn.Linear(32, 10)

    def forward(self, x):
        f = torch.relu(self.stem(x)).permute(0, 2, 1, 3).reshape(x.shape[0], 28, 4 * 28)
        h = torch.zeros(x.shape[0], 32)
        for t in range(f.shape[1]):
            h = torch.tanh(self.inp(f[:, t]) + self.rec(h))
        return self.head(h)


def loop_model():
    torch.manual_seed(20261204)
    print("loop_rows")
    export(torch.jit.script(RowLoop().eval()), "loop_rows", torch.zeros(2, 1, 28, 28), 13)


class OldCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2))
        self.c2 = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.c3 = nn.Conv2d(16, 4, 1)

    def forward(self, x):
        return torch.softmax(self.c3(self.up(self.c2(self.c1(x)))), dim=1)


class BasicBlock(nn.Module):
    def __init__(self, i, o, stride):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(i, o, 3, stride, 1, bias=False), nn.BatchNorm2d(o)
        self.c2, self.b2 = nn.Conv2d(o, o, 3, 1, 1, bias=False), nn.BatchNorm2d(o)
        self.down = None
        if stride != 1 or i != o:
            self.down = nn.Sequential(nn.Conv2d(i, o, 1, stride, bias=False), nn.BatchNorm2d(o))

    def forward(self, x):
        y = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        return F.relu(y + (self.down(x) if self.down is not None else x))


class ResNet18(nn.Module):
    """torchvision's resnet18, written out (Debian has no python3-torchvision)."""
    def __init__(self, classes=1000):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        blocks, c = [], 64
        for o, s in [(64, 1), (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1)]:
            blocks.append(BasicBlock(c, o, s))
            c = o
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.blocks(self.stem(x)), 1)
        return self.fc(torch.flatten(x, 1))


class InvertedResidual(nn.Module):
    def __init__(self, i, o, stride, expand):
        super().__init__()
        h = i * expand
        layers = [] if expand == 1 else [nn.Conv2d(i, h, 1, bias=False), nn.BatchNorm2d(h), nn.ReLU6()]
        layers += [nn.Conv2d(h, h, 3, stride, 1, groups=h, bias=False), nn.BatchNorm2d(h), nn.ReLU6(),
                   nn.Conv2d(h, o, 1, bias=False), nn.BatchNorm2d(o)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and i == o

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


class MobileNetV2(nn.Module):
    """torchvision's mobilenet_v2 (width 1.0), written out."""
    def __init__(self, classes=1000):
        super().__init__()
        layers, c = [nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU6()], 32
        for t, o, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
            for k in range(n):
                layers.append(InvertedResidual(c, o, s if k == 0 else 1, t))
                c = o
        layers += [nn.Conv2d(c, 1280, 1, bias=False), nn.BatchNorm2d(1280), nn.ReLU6()]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, classes))

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(torch.flatten(x, 1))


def init_like_torchvision(model):
    # Kaiming-normal convolutions, N(0, 0.01) classifier: the initialization torchvision uses, so
    # activations keep a realistic scale through the depth of a random-weight network.
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.zeros_(m.bias)


def imagenet_like(count):
    # Smooth random images (upsampled 7x7 noise), normalized with ImageNet's mean and std.
    low = torch.rand(count, 3, 7, 7)
    x = F.interpolate(low, size=(224, 224), mode="bilinear", align_corners=False)
    mean = torch.tensor([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1)
    return ((x - mean) / std).numpy()


def randomize_bn(model):
    # Random-weight models get BatchNorm statistics that are not the identity.
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)


def constants_for_initializers(src, dst):
    m = onnx.load(src)
    g = m.graph
    nodes = [helper.make_node("Constant", [], [i.name], name=i.name + "_Constant", value=i) for i in g.initializer]
    names = {i.name for i in g.initializer}
    kept_inputs = [i for i in g.input if i.name not in names]
    del g.input[:]
    g.input.extend(kept_inputs)
    del g.initializer[:]
    all_nodes = nodes + list(g.node)
    del g.node[:]
    g.node.extend(all_nodes)
    onnx.checker.check_model(m)
    onnx.save(m, dst)
    print(f"wrote {dst}")


def large_models():
    # Too large to commit (45 MB and 14 MB): the tests generate them into the build folder once.
    for name, cls in (("resnet18_224", ResNet18), ("mobilenetv2_224", MobileNetV2)):
        torch.manual_seed(20261125)
        print(name)
        model = cls()
        init_like_torchvision(model)
        randomize_bn(model)
        model.eval()
        export(model, name, torch.zeros(1, 3, 224, 224), 13)
        save_inputs(name, imagenet_like(16), imagenet_like(8))


def main():
    os.makedirs(OUT, exist_ok=True)
    if "--large" in sys.argv:
        large_models()
        return
    if "--vad" in sys.argv:
        vad_model()
        return
    if "--detect" in sys.argv:
        detect_models()
        return
    if "--loop" in sys.argv:
        loop_model()
        return
    img = torch.zeros(1, 1, 28, 28)
    calib_x, _ = fashion("train", 128)
    np.save(os.path.join(OUT, "fashion_calib_128.npy"), calib_x)

    print("vit_tiny")
    vit = TinyViT()
    train(vit, epochs=2)
    export(vit, "vit_tiny_opset13", img, 13)
    export(vit, "vit_tiny_opset17", img, 17)

    for name, cell in (("gru_rows", nn.GRU), ("lstm_rows", nn.LSTM)):
        print(name)
        model = Rows(cell)
        train(model, epochs=2)
        export(model, name, img, 13)

    print("conv1d_audio")
    audio = Audio()
    randomize_bn(audio)
    audio.eval()
    export(audio, "conv1d_audio", torch.zeros(1, 1, 4000), 13)
    save_inputs("conv1d_audio", np.random.randn(16, 1, 4000) * 0.3, np.random.randn(16, 1, 4000) * 0.3)

    print("yolo_head")
    yolo = YoloHead()
    randomize_bn(yolo)
    yolo.eval()
    export(yolo, "yolo_head", torch.zeros(1, 3, 64, 64), 13)
    save_inputs("yolo_head", np.random.rand(8, 3, 64, 64), np.random.rand(8, 3, 64, 64))

    print("cnn_opset9")
    old = OldCnn()
    randomize_bn(old)
    old.eval()
    path = export(old, "cnn_opset9", img, 9)
    constants_for_initializers(path, os.path.join(OUT, "constant_weights.onnx"))

    vad_model()
    detect_models()
    loop_model()


main()
