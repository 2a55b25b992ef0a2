package dev.quant4j.model;

import dev.quant4j.io.Dtype;
import dev.quant4j.io.QuantizedInfo;
import dev.quant4j.io.SafetensorsEntry;
import dev.quant4j.io.SafetensorsFormatException;
import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.SafetensorsWriter;
import dev.quant4j.io.ShardedCheckpoint;
import dev.quant4j.io.TensorInfo;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Saves and loads an annotated model's whole state (every weight field, by path) as one safetensors
 * file, through the model's generated visitor. Quantized weights travel as codes and scales and are
 * never expanded to float32, neither when saving nor when loading.
 *
 * <pre>{@code
 * Quantization.quantizeWeights(model);
 * ModelFiles.save(model, Path.of("model-q4.safetensors"));
 * ModelFiles.load(freshModel, Path.of("model-q4.safetensors"));   // quantized again, bit for bit
 * }</pre>
 */
public final class ModelFiles {
    private ModelFiles() {}

    /**
     * Writes the model's state: quantized fields in quant4j's quantized layout, float fields as F32.
     * The file is written to a temporary file and renamed into place; a failure leaves no file behind.
     */
    public static void save(Object model, Path file) throws IOException {
        save(model, file, Map.of());
    }

    /** As {@link #save(Object, Path)}, with extra {@code __metadata__} entries. */
    public static void save(Object model, Path file, Map<String, String> metadata) throws IOException {
        save(model, file, metadata, ActivationScales.NONE);
    }

    /**
     * As {@link #save(Object, Path, Map)}, with the frozen activation scales of a static model: one F32 tensor
     * of shape {@code [1]} named {@code PATH.__activation_scale} per static-activation weight (docs/FILE-FORMAT.md).
     *
     * @throws IllegalArgumentException for a scale that names no static-activation field of the model
     */
    public static void save(Object model, Path file, Map<String, String> metadata, ActivationScales scales)
            throws IOException {
        Objects.requireNonNull(model, "model");
        scales.checkFits(model);
        Map<String, Object> state = Quantization.exportState(model);
        List<TensorSpec> specs = new ArrayList<>(state.size());
        for (Map.Entry<String, Object> e : state.entrySet()) {
            specs.add(
                    switch (e.getValue()) {
                        case QuantizedTensor q -> TensorSpec.quantized(e.getKey(), q);
                        case FloatTensor f -> TensorSpec.floats(e.getKey(), f, Dtype.F32);
                        default ->
                            throw new IllegalStateException("field '" + e.getKey() + "' exported a "
                                    + e.getValue().getClass().getName()
                                    + "; expected a QuantizedTensor or FloatTensor");
                    });
        }
        scales.asMap()
                .forEach((path, scale) -> specs.add(TensorSpec.floats(
                        path + ActivationScales.SUFFIX, FloatTensor.of(new float[] {scale}, 1), Dtype.F32)));
        SafetensorsWriter.write(file, metadata, specs);
    }

    /**
     * Reads a file written by {@link #save} (or any safetensors file whose tensor names are the model's field
     * paths; or a sharded checkpoint, a folder with {@value ShardedCheckpoint#INDEX} or that index file,
     * shard by shard) into the model: quantized tensors stay quantized, F32/F16/BF16 tensors become float32. The
     * model's structure (nested modules, arrays of them) must already exist; see
     * {@link Quantization#importState}. Activation scale tensors ({@code PATH.__activation_scale}) are not
     * weights and are skipped; {@link #loadActivationScales} reads them.
     *
     * @throws SafetensorsFormatException for a malformed file, naming the tensor and offset
     * @throws IllegalArgumentException    when the file does not fit the model (names, shapes, a quantized tensor for
     *                                     a field without {@code @Quantize}), with or without the agent
     * @throws dev.quant4j.errors.AgentNotActiveException for a file that fits but holds quantized tensors for plain
     *                                     array fields, without the agent; nothing is loaded then
     */
    public static void load(Object model, Path file) throws IOException {
        Objects.requireNonNull(model, "model");
        Map<String, Object> state = new LinkedHashMap<>();
        if (ShardedCheckpoint.isSharded(file)) {
            for (Path shard : ShardedCheckpoint.open(file).shards()) {
                readState(shard, state);
            }
        } else {
            readState(file, state);
        }
        Quantization.importState(model, state);
    }

    private static void readState(Path file, Map<String, Object> state) throws IOException {
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            for (SafetensorsEntry e : reader.entries()) {
                if (e.name().endsWith(ActivationScales.SUFFIX)) {
                    continue;
                }
                if (state.put(
                                e.name(),
                                switch (e) {
                                    case QuantizedInfo q -> reader.readQuantized(q);
                                    case TensorInfo t -> reader.readFloatTensor(t);
                                })
                        != null) {
                    throw new SafetensorsFormatException(
                            file,
                            e.name(),
                            -1,
                            "the tensor is also in another shard of "
                                    + "the checkpoint; each tensor belongs to one shard");
                }
            }
        }
    }

    /**
     * The activation scales a file written by {@link #save(Object, Path, Map, ActivationScales)} holds for
     * {@code model}; {@link ActivationScales#NONE} when it holds none. The model's weights are not touched.
     *
     * @throws SafetensorsFormatException for a malformed file, or a scale tensor that is not F32 of shape
     *                                    {@code [1]}, naming the tensor
     * @throws IllegalArgumentException    for a scale that is not finite and {@code >= 0}, or that names no
     *                                     static-activation field of the model
     */
    public static ActivationScales loadActivationScales(Object model, Path file) throws IOException {
        Objects.requireNonNull(model, "model");
        Map<String, Float> scales = new LinkedHashMap<>();
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            for (SafetensorsEntry e : reader.entries()) {
                if (!e.name().endsWith(ActivationScales.SUFFIX)) {
                    continue;
                }
                if (!(e instanceof TensorInfo t) || t.dtype() != Dtype.F32 || t.rank() != 1 || t.shape()[0] != 1) {
                    throw new SafetensorsFormatException(
                            file,
                            e.name(),
                            -1,
                            "an activation scale must be an F32"
                                    + " tensor of shape [1], got "
                                    + (e instanceof TensorInfo t
                                            ? t.dtype() + " " + java.util.Arrays.toString(t.shape())
                                            : "a quantized tensor")
                                    + "; rewrite the file with ModelFiles.save");
                }
                String path = e.name().substring(0, e.name().length() - ActivationScales.SUFFIX.length());
                scales.put(path, reader.readFloatTensor(t).data()[0]);
            }
        }
        return new ActivationScales(scales).checkFits(model);
    }
}
