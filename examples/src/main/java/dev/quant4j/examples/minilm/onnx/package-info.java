/**
 * Reading the ONNX model LangChain4j ships: {@link dev.quant4j.examples.minilm.onnx.OnnxWeights} (the
 * initializers, from the protobuf wire format) and {@link dev.quant4j.examples.minilm.onnx.MiniLmLoader},
 * the one mapping from ONNX names to the model's field paths.
 */
package dev.quant4j.examples.minilm.onnx;
