package dev.quant4j.io;

import com.google.gson.stream.JsonWriter;
import dev.quant4j.annotations.QuantMode;
import dev.quant4j.annotations.QuantParam;
import dev.quant4j.format.ScaleFormat;
import dev.quant4j.tensor.QuantizedTensor;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files. The header is computed from the specs before any data is produced (sizes
 * follow from dtypes, shapes and schemes), then each tensor's data is produced and streamed in turn, so
 * at most one tensor is in memory at a time.
 *
 * <p>The file is written to a temporary file next to the destination and renamed over it at the end
 * (atomically where the file system can; {@link AtomicOutput}). If anything fails — a producer throws, a
 * size is wrong, the disk is full ({@link FileWriteException}), the JVM is stopped — the temporary file
 * is deleted and the destination is left as it was.
 *
 * <p>Layout: 8-byte little-endian header length; compact JSON header with {@code __metadata__} first,
 * then the tensors in spec order with consecutive data offsets, padded with spaces to a multiple of 8
 * bytes so the data section is 8-byte aligned (as the Hugging Face writer does); then the data.
 */
public final class SafetensorsWriter {
    private SafetensorsWriter() {}

    /** A stored tensor of the file to be written: its header fields, and the spec that produces it. */
    private record Planned(String name, Dtype dtype, long[] shape, long begin, long end, String spec) {}

    /**
     * Writes a file.
     *
     * @param destination the file to create or replace
     * @param metadata    {@code __metadata__} entries (may be empty); keys starting with {@code quant4j.}
     *                    are reserved and rejected — the writer adds them for quantized tensors
     * @param specs       the tensors, in file order
     * @throws TensorNameClashException when two tensors would take one name, before anything is written
     * @throws IllegalArgumentException for reserved names, before anything is written
     * @throws IOException              when writing fails, or a producer fails (the destination is untouched)
     */
    public static void write(Path destination, Map<String, String> metadata, List<? extends TensorSpec> specs)
            throws IOException {
        Map<String, String> allMetadata = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            if (e.getKey().startsWith(QuantizedLayout.METADATA_PREFIX)) {
                throw new IllegalArgumentException("metadata key \"" + DisplayText.escape(e.getKey())
                        + "\" starts with \"" + QuantizedLayout.METADATA_PREFIX
                        + "\", which is reserved for quant4j's own descriptions");
            }
            checkText(e.getKey(), "metadata key");
            checkText(e.getValue(), "metadata value of \"" + e.getKey() + "\"");
            allMetadata.put(e.getKey(), e.getValue());
        }
        List<Planned> plan = new ArrayList<>();
        Map<String, String> specOf = new HashMap<>();
        long offset = 0;
        for (TensorSpec spec : specs) {
            switch (spec) {
                case TensorSpec.Raw r -> {
                    long size = r.byteSize();
                    plan.add(new Planned(r.name(), r.dtype(), r.shape(), offset, offset + size, r.name()));
                    offset += size;
                }
                case TensorSpec.Quantized q -> {
                    Dtype codesDtype = QuantizedLayout.codesDtype(q.scheme());
                    long[] codesShape = QuantizedLayout.codesShape(q.shape(), q.scheme());
                    long codesSize = codesDtype.byteSize(product(codesShape));
                    plan.add(new Planned(q.name(), codesDtype, codesShape, offset, offset + codesSize, q.name()));
                    offset += codesSize;
                    Dtype scalesDtype = QuantizedLayout.scalesDtype(q.scheme().param());
                    long[] scalesShape = QuantizedLayout.scalesShape(q.shape(), q.scheme());
                    long scalesSize = scalesDtype.byteSize(product(scalesShape));
                    // The scales, and for an affine scheme the offsets after them, of one dtype and shape.
                    List<String> params = q.scheme().mode() == QuantMode.AFFINE
                            ? List.of(QuantizedLayout.scalesName(q.name()), QuantizedLayout.offsetsName(q.name()))
                            : List.of(QuantizedLayout.scalesName(q.name()));
                    for (String param : params) {
                        plan.add(new Planned(param, scalesDtype, scalesShape, offset, offset + scalesSize, q.name()));
                        offset += scalesSize;
                    }
                    allMetadata.put(
                            QuantizedLayout.metadataKey(q.name()),
                            QuantizedLayout.metadataValue(q.shape(), q.scheme()));
                }
            }
        }
        for (Planned p : plan) {
            if (p.name().equals(HeaderParser.METADATA_KEY)) {
                throw new IllegalArgumentException("a tensor cannot be named \"" + HeaderParser.METADATA_KEY
                        + "\"; the format reserves that name");
            }
            checkText(p.name(), "tensor name");
            String earlier = specOf.putIfAbsent(p.name(), p.spec());
            if (earlier != null) {
                throw new TensorNameClashException(p.name(), earlier, p.spec());
            }
        }
        byte[] header = header(allMetadata, plan);

        AtomicOutput.write(destination, ch -> {
            ByteBuffer prefix = ByteBuffer.allocate(8)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(header.length)
                    .flip();
            while (prefix.hasRemaining()) {
                ch.write(prefix);
            }
            ByteBuffer h = ByteBuffer.wrap(header);
            while (h.hasRemaining()) {
                ch.write(h);
            }
            TensorSink sink = new TensorSink(ch);
            int next = 0;
            for (TensorSpec spec : specs) {
                switch (spec) {
                    case TensorSpec.Raw r -> {
                        Planned p = plan.get(next++);
                        long before = sink.written();
                        r.source().writeTo(sink);
                        checkWritten(p, sink.written() - before);
                    }
                    case TensorSpec.Quantized q -> {
                        Planned codes = plan.get(next++);
                        Planned scales = plan.get(next++);
                        QuantizedTensor t = q.source().get();
                        if (!Arrays.equals(t.shape(), q.shape()) || !t.scheme().equals(q.scheme())) {
                            throw new IllegalStateException("tensor '" + DisplayText.escape(q.name())
                                    + "' was declared as " + q.scheme() + Arrays.toString(q.shape())
                                    + " but its producer gave " + t.scheme() + Arrays.toString(t.shape()));
                        }
                        long before = sink.written();
                        sink.write(t.codes());
                        checkWritten(codes, sink.written() - before);
                        before = sink.written();
                        writeScales(sink, t.scales(), q.scheme().param());
                        checkWritten(scales, sink.written() - before);
                        if (t.isAffine()) {
                            Planned offsets = plan.get(next++);
                            before = sink.written();
                            writeScales(sink, t.offsets(), q.scheme().param());
                            checkWritten(offsets, sink.written() - before);
                        }
                    }
                }
            }
            sink.flush();
        });
    }

    private static void checkWritten(Planned p, long written) {
        if (written != p.end() - p.begin()) {
            throw new IllegalStateException("tensor '" + DisplayText.escape(p.name()) + "' (" + p.dtype()
                    + Arrays.toString(p.shape())
                    + ") takes " + (p.end() - p.begin()) + " bytes but its source wrote " + written);
        }
    }

    private static void writeScales(TensorSink sink, float[] scales, QuantParam param) throws IOException {
        for (float s : scales) {
            sink.writeLittleEndian(ScaleFormat.encode(s, param), param.bytes());
        }
    }

    private static long product(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** The JSON header, UTF-8, padded with spaces to a multiple of 8 bytes. */
    private static byte[] header(Map<String, String> metadata, List<Planned> plan) {
        StringWriter sw = new StringWriter();
        try (JsonWriter w = new JsonWriter(sw)) {
            w.beginObject();
            if (!metadata.isEmpty()) {
                w.name(HeaderParser.METADATA_KEY).beginObject();
                for (Map.Entry<String, String> e : metadata.entrySet()) {
                    w.name(e.getKey()).value(e.getValue());
                }
                w.endObject();
            }
            for (Planned p : plan) {
                w.name(p.name())
                        .beginObject()
                        .name("dtype")
                        .value(p.dtype().fileName())
                        .name("shape")
                        .beginArray();
                for (long d : p.shape()) {
                    w.value(d);
                }
                w.endArray()
                        .name("data_offsets")
                        .beginArray()
                        .value(p.begin())
                        .value(p.end())
                        .endArray()
                        .endObject();
            }
            w.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] json = sw.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) & ~7;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    static void checkText(String s, String what) {
        DisplayText.requireUtf8(s, what);
    }
}
