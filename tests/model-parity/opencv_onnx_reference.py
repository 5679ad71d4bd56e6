#!/usr/bin/python3
"""Runs an ONNX file with OpenCV's DNN module on the pixels fer's model runner wrote, normalized
with the given scale and per-channel offsets, one face at a time; writes reference.f32. Checks
that the ONNX fer exports (tools/convert.py --onnx, used by the OpenCV benchmarks) is the model
fer runs.
usage: opencv_onnx_reference.py MODEL.onnx RUN_DIR SCALE OFFSET[,OFFSET,OFFSET]"""
import json
import os
import sys

import cv2
import numpy as np

onnx_path, run, scale = sys.argv[1], sys.argv[2], np.float32(sys.argv[3])
offsets = np.array([float(v) for v in sys.argv[4].split(",")], np.float32)
meta = json.load(open(os.path.join(run, "meta.json")))
pixels = np.fromfile(os.path.join(run, "pixels.f32"), np.float32).reshape(
    meta["n"], meta["height"], meta["width"], meta["channels"])
x = (pixels * scale + offsets).transpose(0, 3, 1, 2).astype(np.float32)
net = cv2.dnn.readNetFromONNX(onnx_path)
out = []
for i in range(meta["n"]):
    net.setInput(x[i:i + 1])
    out.append(net.forward().reshape(-1))
np.array(out, np.float32).tofile(os.path.join(run, "reference.f32"))
print("OpenCV %s DNN: %d faces through %s" % (cv2.__version__, meta["n"],
                                              os.path.basename(onnx_path)), file=sys.stderr)
