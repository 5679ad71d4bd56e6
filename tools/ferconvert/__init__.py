"""Converters from trained models (TensorFlow.js, face-api.js, Keras HDF5, ONNX) to fer's GGUF
model files. See tools/convert.py for the command line and include/fer/model/model_file.hpp for the file format."""
