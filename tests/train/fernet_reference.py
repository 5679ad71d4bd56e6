#!/usr/bin/python3
"""What the training recipe's PyTorch network (tools/ferconvert/torch_model.py) computes on the
pixels fer's model runner wrote: RUN_DIR/reference.f32, for compare.py.
usage: fernet_reference.py CHECKPOINT.pt|KIND:PATH RUN_DIR
A checkpoint is tools/train.py's; KIND:PATH a packaged model read by the converter."""
import json
import os
import sys

import numpy as np
import torch

top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(top, "tools"))
from ferconvert import sources, torch_model  # noqa: E402


def network(spec):
    if spec.endswith(".pt"):
        state = torch.load(spec, map_location="cpu")
        model = state["model"]  # the Model at the checkpoint, weights included
        net = torch_model.FerNet(model)
        net.load_state_dict(state["network"])
        return model, net.eval()
    kind, _, path = spec.partition(":")
    model = sources.read(kind, path)
    return model, torch_model.FerNet(model).eval()


def main():
    spec, run = sys.argv[1], sys.argv[2]
    model, net = network(spec)
    meta = json.load(open(os.path.join(run, "meta.json")))
    pixels = np.fromfile(os.path.join(run, "pixels.f32"), np.float32).reshape(
        meta["n"], meta["height"], meta["width"], meta["channels"])
    x = torch.from_numpy(pixels).permute(0, 3, 1, 2) * model.scale + torch.tensor(
        model.offset, dtype=torch.float32).view(1, -1, 1, 1)
    with torch.no_grad():
        probabilities = torch.softmax(net(x), 1).numpy().astype(np.float32)
    probabilities.tofile(os.path.join(run, "reference.f32"))


if __name__ == "__main__":
    main()
