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
Random weights (output SQNR is measured):
  conv1d_audio.onnx      Conv1d/BatchNorm/ReLU/pooling over a 1x4000 waveform
  yolo_head.onnx         a small backbone, Upsample + Concat, a detection head split into box,
                         objectness (Sigmoid) and class outputs
  cnn_opset9.onnx        BatchNorm, nn.Upsample and Softmax(dim=1) exported at opset 9
  constant_weights.onnx  cnn_opset9 with every initializer turned into a Constant node, as
                         Paddle2ONNX writes weights
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


class OldCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2))
        self.c2 = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.c3 = nn.Conv2d(16, 4, 1)

    def forward(self, x):
        return torch.softmax(self.c3(self.up(self.c2(self.c1(x)))), dim=1)


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


def main():
    os.makedirs(OUT, exist_ok=True)
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


main()
