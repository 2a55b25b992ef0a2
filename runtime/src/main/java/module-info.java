/**
 * The quant4j runtime: the numeric rules, the scalar and SIMD kernels, tensors, files and the model layer.
 *
 * <p>Every package is exported except {@code dev.quant4j.kernels.internal} (the {@code tensor.Dequantizer} service
 * provider, reached through {@code provides}). {@code dev.quant4j.fields.internal} is not API either, but it is
 * exported to everyone: the Java agent's rewritten bytecode calls its hooks from the application's own classes, in
 * any module or in the unnamed module, which no qualified export can name. docs/ARCHITECTURE.md lists the API;
 * {@code ModuleBoundaryTest} holds this descriptor to that list.
 *
 * <p>{@code jdk.incubator.vector} is {@code requires static}: the SIMD kernels use it when the JVM runs with
 * {@code --add-modules jdk.incubator.vector}; without it the kernels fall back to the scalar reference.
 */
module dev.quant4j.runtime {
    requires transitive dev.quant4j.annotations;
    requires transitive dev.quant4j.scheme;
    requires com.google.gson;
    requires static jdk.incubator.vector;

    exports dev.quant4j.calibrate;
    exports dev.quant4j.errors;
    exports dev.quant4j.fields;
    exports dev.quant4j.format;
    exports dev.quant4j.io;
    exports dev.quant4j.io.gguf;
    exports dev.quant4j.kernels;
    exports dev.quant4j.model;
    exports dev.quant4j.plan;
    exports dev.quant4j.qat;
    exports dev.quant4j.quantize;
    exports dev.quant4j.rules;
    exports dev.quant4j.tensor;
    // Not API: the agent's hooks (see the package's javadoc); exported because rewritten classes anywhere call them.
    exports dev.quant4j.fields.internal;

    uses dev.quant4j.tensor.Dequantizer;

    provides dev.quant4j.tensor.Dequantizer with
            dev.quant4j.kernels.internal.ActiveDequantizer;
}
