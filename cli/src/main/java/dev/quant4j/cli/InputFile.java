package dev.quant4j.cli;

import dev.quant4j.io.DisplayText;
import dev.quant4j.io.Dtype;
import dev.quant4j.io.QuantizedInfo;
import dev.quant4j.io.SafetensorsEntry;
import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.TensorInfo;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.io.gguf.GgmlBlocks;
import dev.quant4j.io.gguf.GgufReader;
import dev.quant4j.io.gguf.GgufValue;
import dev.quant4j.io.gguf.GgufWriter;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One input of a command, safetensors or GGUF (chosen by extension, {@link GgufFiles#isGguf}), with its
 * tensors as the commands plan them: {@link Quantized} (a scheme quant4j holds exactly: a safetensors
 * quantized tensor, a GGUF Q8_0 / Q4_0 / MXFP4 tensor whose every block has an equivalent), {@link Plain}
 * (a dtype's bytes: F32 / F16 / BF16 also as floats) and {@link Decoded} (a ggml block type quant4j reads
 * only as float32 values, or cannot read). The producers read; the command that plans
 * with them reports the reads to its progress bar ({@link TransformCommand}).
 */
final class InputFile implements AutoCloseable {
    /** A tensor of the file. */
    sealed interface Tensor permits Quantized, Plain, Decoded {
        String name();

        /** The logical shape (the original shape of a quantized tensor), outermost first. */
        long[] shape();

        /** Bytes in the file. */
        long byteSize();

        /** The type as listed: a scheme's text, a dtype, or (GGUF) ggml's type name. */
        String type();

        default long elementCount() {
            long n = 1;
            for (long d : shape()) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    /** A quantized tensor quant4j holds as it is. */
    record Quantized(
            String name,
            long[] shape,
            QuantScheme scheme,
            long byteSize,
            String type,
            TensorSpec.Producer<QuantizedTensor> read,
            TensorSpec.Producer<FloatTensor> values)
            implements Tensor {}

    /**
     * A tensor of a plain dtype: its bytes, and for F32 / F16 / BF16 its values ({@code values} null for
     * other dtypes).
     */
    record Plain(
            String name,
            Dtype dtype,
            long[] shape,
            long byteSize,
            String type,
            TensorSpec.ByteSource bytes,
            TensorSpec.Producer<MemorySegment> data,
            TensorSpec.Producer<FloatTensor> values)
            implements Tensor {
        boolean isFloat() {
            return values != null;
        }
    }

    /**
     * A GGUF tensor of a ggml block type with no exact quant4j scheme (the K-quants, a twin with a
     * block that has no equivalent): read as float32 values, dequantized as ggml does. {@code values} throws
     * a bad-input error for the types quant4j cannot read.
     */
    record Decoded(
            String name,
            long[] shape,
            long byteSize,
            String type,
            boolean readable,
            TensorSpec.Producer<FloatTensor> values)
            implements Tensor {}

    private final Path file;
    private final long fileSize;
    private final long dataStart;
    private final Map<String, String> metadata;
    private final Map<String, GgufValue> ggufMetadata;
    private final List<String> droppedKeys;
    private final List<Tensor> tensors;
    private final Map<String, Tensor> byName = new LinkedHashMap<>();
    private final SafetensorsReader safetensors;
    private final GgufReader gguf;

    private InputFile(
            Path file,
            SafetensorsReader safetensors,
            GgufReader gguf,
            Map<String, String> metadata,
            Map<String, GgufValue> ggufMetadata,
            List<String> droppedKeys,
            List<Tensor> tensors) {
        this.file = file;
        this.safetensors = safetensors;
        this.gguf = gguf;
        this.fileSize = safetensors != null ? safetensors.fileSize() : gguf.fileSize();
        this.dataStart = safetensors != null ? safetensors.dataStart() : gguf.dataStart();
        this.metadata = metadata;
        this.ggufMetadata = ggufMetadata;
        this.droppedKeys = droppedKeys;
        this.tensors = List.copyOf(tensors);
        for (Tensor t : tensors) {
            byName.put(t.name(), t);
        }
    }

    /**
     * Opens a file in the format its extension names. {@code exactTwins}: look at every block of a GGUF
     * Q8_0 / Q4_0 / MXFP4 tensor to tell whether quant4j holds it exactly (a read of the data; commands
     * that only list tensors pass false, and such tensors are listed as {@link Quantized}).
     */
    static InputFile open(Path file, FileCommand command, boolean exactTwins) throws IOException {
        return GgufFiles.isGguf(file) ? openGguf(file, exactTwins) : openSafetensors(file, command);
    }

    private static InputFile openSafetensors(Path file, FileCommand command) throws IOException {
        SafetensorsReader in = command.open(file);
        try {
            command.printWarnings(in);
            List<Tensor> tensors = new ArrayList<>();
            for (SafetensorsEntry e : in.entries()) {
                switch (e) {
                    case QuantizedInfo q ->
                        tensors.add(new Quantized(
                                q.name(),
                                q.shapeLong(),
                                q.scheme(),
                                q.byteSize(),
                                q.scheme().toString(),
                                () -> in.readQuantized(q),
                                () -> in.readQuantized(q).dequantize()));
                    case TensorInfo t ->
                        tensors.add(new Plain(
                                t.name(),
                                t.dtype(),
                                t.shape(),
                                t.byteSize(),
                                t.dtype().name(),
                                TensorSpec.copyOf(in, t).source(),
                                () -> in.data(t),
                                t.dtype().isQuantizable() ? () -> in.readFloatTensor(t) : null));
                }
            }
            return new InputFile(file, in, null, in.userMetadata(), null, List.of(), tensors);
        } catch (RuntimeException e) {
            in.close();
            throw e;
        }
    }

    private static InputFile openGguf(Path file, boolean exactTwins) throws IOException {
        GgufReader in = GgufReader.open(file);
        try {
            List<Tensor> tensors = new ArrayList<>();
            for (GgufReader.TensorInfo t : in.tensors()) {
                String name = t.name();
                long bytes = t.byteSize();
                String type = t.type().ggmlName();
                TensorSpec.Producer<FloatTensor> values = () -> in.readFloatTensor(t);
                Dtype plain = GgufFiles.dtypeOf(t.type());
                QuantScheme twin = GgmlBlocks.schemeOf(t.type());
                if (plain != null) {
                    MemorySegment data = in.data(t);
                    tensors.add(new Plain(
                            name,
                            plain,
                            t.shape(),
                            bytes,
                            type,
                            sink -> sink.write(data),
                            () -> data,
                            plain.isQuantizable() ? values : null));
                } else if (twin != null
                        && (!exactTwins
                                || GgmlBlocks.hasExactTwin(
                                        in.data(t),
                                        t.type(),
                                        t.elementCount() / t.type().blockSize()))) {
                    tensors.add(new Quantized(name, t.shape(), twin, bytes, type, () -> in.readQuantized(t), values));
                } else {
                    tensors.add(new Decoded(
                            name,
                            t.shape(),
                            bytes,
                            type,
                            t.type().readable(),
                            t.type().readable()
                                    ? values
                                    : () -> {
                                        throw new CliException("tensor '" + DisplayText.escape(name) + "' is ggml type "
                                                + type + ", which quant4j cannot read; it reads "
                                                + GgmlBlocks.readableNames());
                                    }));
                }
            }
            Map<String, GgufValue> kv = new LinkedHashMap<>();
            for (Map.Entry<String, GgufValue> e : in.metadata().entrySet()) {
                if (!e.getKey().startsWith("quant4j.") && !e.getKey().equals(GgufWriter.QUANTIZATION_VERSION_KEY)) {
                    kv.put(e.getKey(), e.getValue());
                }
            }
            List<String> dropped = new ArrayList<>();
            Map<String, String> text = GgufFiles.metadata(in, dropped);
            return new InputFile(file, null, in, text, kv, dropped, tensors);
        } catch (RuntimeException e) {
            in.close();
            throw e;
        }
    }

    Path file() {
        return file;
    }

    long fileSize() {
        return fileSize;
    }

    /** Bytes before the tensor data (safetensors: the length and JSON header; GGUF: header, keys, infos, padding). */
    long dataStart() {
        return dataStart;
    }

    /** The header's bytes: safetensors' JSON header (without its length), GGUF's all before the data. */
    long headerBytes() {
        return safetensors != null ? safetensors.headerLength() : gguf.dataStart();
    }

    /** Bytes of tensor data (what a command reads). */
    long dataBytes() {
        return fileSize - dataStart;
    }

    boolean isGguf() {
        return gguf != null;
    }

    /** The GGUF reader, or null for a safetensors file. */
    GgufReader gguf() {
        return gguf;
    }

    /** The user metadata as text: safetensors {@code __metadata__}, or a GGUF file's non-array keys. */
    Map<String, String> metadata() {
        return metadata;
    }

    /** A GGUF file's keys with their types (without quant4j's and the quantization version), or null. */
    Map<String, GgufValue> ggufMetadata() {
        return ggufMetadata;
    }

    /** A GGUF file's array keys, which safetensors metadata cannot hold. */
    List<String> droppedKeys() {
        return Collections.unmodifiableList(droppedKeys);
    }

    List<Tensor> tensors() {
        return tensors;
    }

    /** The tensor of this name, or null. */
    Tensor tensor(String name) {
        return byName.get(name);
    }

    @Override
    public void close() {
        if (safetensors != null) {
            safetensors.close();
        } else {
            gguf.close();
        }
    }
}
