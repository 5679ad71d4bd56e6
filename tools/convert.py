#!/usr/bin/python3
"""Convert a trained facial-expression model into a fer GGUF model file.

  tools/convert.py tfjs    MODEL.json          -o OUT.gguf   (TensorFlow.js graph model)
  tools/convert.py faceapi MANIFEST.json       -o OUT.gguf   (face-api.js expression net)
  tools/convert.py keras   MODEL.hdf5          -o OUT.gguf   (Keras mini-Xception family)
  tools/convert.py onnx    MODEL.onnx          -o OUT.gguf   (PyTorch and anything else)

The output holds fp32 weights with batch normalization folded in; for int8 weights run
`fer quantize OUT.gguf OUT-int8.gguf` (quantization semantics live in the C++ library only).
Options set what the source file does not record: class labels and input normalization. Needs
Debian's python3-numpy (and python3-h5py for Keras, python3-onnx for ONNX).
"""
import argparse
import sys
import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ferconvert import sources  # noqa: E402
from ferconvert.graph import ConversionError  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", choices=sources.KINDS,
                        help="the kind of model file")
    parser.add_argument("model", help="the model file (model.json, manifest, .hdf5, .onnx)")
    parser.add_argument("-o", "--output", required=True, help="the GGUF file to write")
    parser.add_argument("--labels", help="comma-separated class names in output order "
                        "(default: FER2013's order; face-api's own order for faceapi)")
    parser.add_argument("--scale", type=float, help="input scale (default: the source's own)")
    parser.add_argument("--offset", help="input offset, one per channel, comma-separated")
    parser.add_argument("--name", help="model name stored as fer.info.name")
    parser.add_argument("--info", action="append", default=[], metavar="KEY=VALUE",
                        help="provenance stored as fer.info.KEY (repeatable)")
    parser.add_argument("--onnx", metavar="OUT.onnx",
                        help="also write the converted model as ONNX (for OpenCV's DNN module)")
    args = parser.parse_args(argv)

    labels = args.labels.split(",") if args.labels else None
    offset = [float(v) for v in args.offset.split(",")] if args.offset else None
    try:
        model = sources.read(args.source, args.model, labels, args.scale, offset)
        model.info.setdefault("source_file", os.path.basename(args.model))
        model.info.setdefault("converter", "tools/convert.py " + args.source)
        if args.name:
            model.info["name"] = args.name
        for item in args.info:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise ConversionError("--info %s: KEY=VALUE expected" % item)
            model.info[key] = value
        data = model.to_gguf()
        if args.onnx:
            from ferconvert import onnx_export
            onnx_export.write(model, args.onnx)
    except ConversionError as e:
        print("convert.py: %s: %s" % (args.model, e), file=sys.stderr)
        return 1
    except Exception as e:  # unreadable or malformed input: one line, never a traceback
        print("convert.py: %s: cannot read (%s: %s)" % (args.model, type(e).__name__, e),
              file=sys.stderr)
        return 1
    with open(args.output, "wb") as f:
        f.write(data)
    print("%s: %d layers, %d parameters, %.1f M multiply-accumulates, %d bytes" %
          (args.output, len(model.layers), model.parameter_count(),
           model.multiply_accumulates() / 1e6, len(data)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
