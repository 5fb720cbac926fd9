"""The networks edgenas builds, rebuilt in Python's torch from a layer list.

A second implementation of models/network_builder.cc, for checks and
comparisons: the layer list is what `edgenas arch describe --json` prints,
parameter names equal LibTorch's (`stem_0.conv.weight`), so a weights.pt that
`edgenas train` wrote loads with `load_state_dict`.

  python3 tools/torch_reference.py logits LAYERS.json WEIGHTS.pt INPUT.pt OUT.pt
      eval-mode logits of the network for INPUT.pt's tensor "input"
  python3 tools/torch_reference.py train-speed LAYERS.json --threads 2 [--channels-last]
      training images/s at batch 128 (SGD, the same loss) after warm-up

Runs with Debian's python3-torch (/usr/bin/python3).
"""
import argparse
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def activate(x, name):
    if name == "none":
        return x
    if name == "relu":
        return F.relu(x)
    if name == "relu6":
        return torch.clamp(x, 0, 6)
    if name == "hswish":
        return F.hardswish(x)
    raise ValueError(name)


def conv(cin, cout, kernel, stride, groups, bias):
    return nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, groups=groups, bias=bias)


class Layer(nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        op = spec["op"]
        cin, cout = spec["input"][2], spec["output"][2]
        if op == "conv":
            self.conv = conv(cin, cout, spec["kernel"], spec["stride"], spec["groups"], spec["bias"])
            if spec["batch_norm"]:
                self.bn = nn.BatchNorm2d(cout)
        elif op == "mbconv":
            mid = spec["mid_channels"]
            if spec["has_expand_conv"]:
                self.expand = conv(cin, mid, 1, 1, spec["groups"], False)
                self.expand_bn = nn.BatchNorm2d(mid)
            self.depthwise = conv(mid, mid, spec["kernel"], spec["stride"], mid, False)
            self.depthwise_bn = nn.BatchNorm2d(mid)
            if spec["se"]:
                self.se_reduce = conv(mid, spec["se_channels"], 1, 1, 1, True)
                self.se_expand = conv(spec["se_channels"], mid, 1, 1, 1, True)
            self.project = conv(mid, cout, 1, 1, spec["groups"], False)
            self.project_bn = nn.BatchNorm2d(cout)
        elif op == "linear":
            self.linear = nn.Linear(cin, cout)
        elif op not in ("identity", "avgpool"):
            raise ValueError("unknown op " + op)

    def forward(self, x):
        s = self.spec
        op = s["op"]
        if op == "conv":
            y = self.conv(x)
            if s["batch_norm"]:
                y = self.bn(y)
            return activate(y, s["activation"])
        if op == "mbconv":
            y = x
            if s["has_expand_conv"]:
                y = activate(self.expand_bn(self.expand(y)), s["activation"])
                g = s["groups"]
                if g > 1:  # FBNet's channel shuffle
                    n, c, h, w = y.shape
                    y = y.view(n, g, c // g, h, w).transpose(1, 2).contiguous().view(n, c, h, w)
            y = activate(self.depthwise_bn(self.depthwise(y)), s["activation"])
            if s["se"]:
                w = F.adaptive_avg_pool2d(y, 1)
                y = y * F.hardsigmoid(self.se_expand(F.relu(self.se_reduce(w))))
            y = self.project_bn(self.project(y))
            return y + x if s["residual"] else y
        if op == "identity":
            return x
        if op == "avgpool":
            return F.adaptive_avg_pool2d(x, 1)
        return self.linear(x.flatten(1))


class Network(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.names = []
        for spec in layers:
            name = spec["name"].replace(".", "_")
            self.add_module(name, Layer(spec))
            self.names.append(name)

    def forward(self, x):
        for name in self.names:
            x = getattr(self, name)(x)
        return x


def load_layers(path, classes=None):
    layers = json.load(open(path))["layers"]
    if classes is not None:  # the classifier resized to the data's classes, as edgenas train does
        layers[-1] = dict(layers[-1], output=[1, 1, classes])
    return layers


def logits(args):
    state = torch.load(args.weights, weights_only=True)
    classes = state[[k for k in state if k.endswith("linear.bias")][-1]].shape[0]
    net = Network(load_layers(args.layers, classes))
    missing, unexpected = net.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        sys.exit("state_dict mismatch: missing %s, unexpected %s" % (missing, unexpected))
    net.eval()
    x = torch.load(args.input, weights_only=True)["input"]
    with torch.no_grad():
        y = net(x)
    torch.save({"logits": y.contiguous()}, args.out)


def train_speed(args):
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    layers = load_layers(args.layers, 10)
    net = Network(layers)
    resolution = layers[0]["input"][0]
    channels = layers[0]["input"][2]
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    net = net.to(memory_format=fmt)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=4e-5)
    x = torch.randn(args.batch, channels, resolution, resolution).contiguous(memory_format=fmt)
    y = torch.randint(0, 10, (args.batch,))
    net.train()

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y, label_smoothing=0.1)
        loss.backward()
        opt.step()

    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for _ in range(args.steps):
            step()
        times.append(time.perf_counter() - start)
    times.sort()
    median = times[len(times) // 2]
    print("%.1f" % (args.batch * args.steps / median))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("logits")
    p.add_argument("layers")
    p.add_argument("weights")
    p.add_argument("input")
    p.add_argument("out")
    p.set_defaults(run=logits)
    p = sub.add_parser("train-speed")
    p.add_argument("layers")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--channels-last", action="store_true")
    p.set_defaults(run=train_speed)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
