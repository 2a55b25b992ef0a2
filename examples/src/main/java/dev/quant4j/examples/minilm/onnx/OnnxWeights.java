package dev.quant4j.examples.minilm.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.quant4j.tensor.Shapes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.LongStream;

/**
 * The float32 initializers (weights) of an ONNX model, read straight from the protobuf wire format.
 *
 * <p>Only the few fields we need are decoded, with protobuf's {@link CodedInputStream}; there are no
 * generated ONNX classes. The field numbers are those of {@code onnx.proto}:
 * <pre>
 *   ModelProto  { int64 ir_version = 1; GraphProto graph = 7; ... }
 *   GraphProto  { repeated NodeProto node = 1; repeated TensorProto initializer = 5; ... }
 *   NodeProto   { repeated string input = 1; string name = 3; string op_type = 4; ... }
 *   TensorProto { repeated int64 dims = 1; int32 data_type = 2; repeated float float_data = 4 [packed];
 *                 string name = 8; bytes raw_data = 9; repeated StringStringEntryProto external_data = 13;
 *                 DataLocation data_location = 14; ... }
 * </pre>
 *
 * <p><b>Names.</b> PyTorch's exporter keeps parameter names for biases and LayerNorm parameters, but
 * the weight of every {@code nn.Linear} becomes an anonymous, transposed copy called
 * {@code onnx::MatMul_NNN}. Its meaning is only visible in the name of the MatMul node that consumes it,
 * e.g. {@code /encoder/layer.0/attention/self/query/MatMul}. Such initializers are renamed after that
 * node: leading {@code /} and trailing {@code /MatMul} removed, {@code /} turned into {@code .}, and
 * {@code .weight} appended, giving {@code encoder.layer.0.attention.self.query.weight}. The numbers
 * NNN depend on the export and are never relied upon. Note that these tensors keep the ONNX layout
 * {@code [in, out]} (the transpose of PyTorch's {@code Linear.weight}).
 *
 * <p>Initializers of other types (e.g. the INT64 {@code embeddings.position_ids}) are not decoded;
 * {@link #tensor} says so when asked for one.
 */
public final class OnnxWeights {

    /** One float32 initializer: its (resolved) name, the name stored in the file, shape and row-major data. */
    public record Tensor(String name, String storedName, int[] shape, float[] data) {
        public String shapeString() {
            return Arrays.toString(shape);
        }
    }

    private static final int FLOAT = 1;
    private static final int DATA_LOCATION_EXTERNAL = 1;
    private static final String ANONYMOUS_PREFIX = "onnx::";
    private static final String MATMUL_SUFFIX = "/MatMul";

    private final long irVersion;
    private final Map<String, Tensor> tensors;
    /** Initializers that were not decoded because they are not float32: name -> ONNX data type name. */
    private final Map<String, String> otherTypes;

    private OnnxWeights(long irVersion, Map<String, Tensor> tensors, Map<String, String> otherTypes) {
        this.irVersion = irVersion;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.otherTypes = Collections.unmodifiableMap(otherTypes);
    }

    public static OnnxWeights read(Path file) throws IOException {
        return read(Files.readAllBytes(file));
    }

    public static OnnxWeights read(InputStream in) throws IOException {
        return read(in.readAllBytes());
    }

    public static OnnxWeights read(byte[] model) throws OnnxFormatException {
        return new Reader(model).readModel();
    }

    public long irVersion() {
        return irVersion;
    }

    /** Names of the float32 initializers, in file order, after renaming anonymous MatMul weights. */
    public Set<String> names() {
        return tensors.keySet();
    }

    /** The float32 initializer with this name; a clear {@link IllegalArgumentException} if there is none. */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t != null) {
            return t;
        }
        String type = otherTypes.get(name);
        if (type != null) {
            throw new IllegalArgumentException(
                    "initializer '" + name + "' has type " + type + ", only FLOAT is decoded");
        }
        throw new IllegalArgumentException(
                "the model has no float initializer named '" + name + "' (it has " + tensors.size() + ", e.g. "
                        + tensors.keySet().stream().limit(8).toList() + ")");
    }

    /** The data of a float32 initializer, after checking that its shape is exactly {@code expectedShape}. */
    public float[] floats(String name, int... expectedShape) {
        Tensor t = tensor(name);
        if (!Arrays.equals(t.shape(), expectedShape)) {
            throw new IllegalArgumentException("initializer '" + name + "' has shape " + t.shapeString() + ", expected "
                    + Arrays.toString(expectedShape));
        }
        return t.data();
    }

    // ---------------------------------------------------------------------------------------------
    // Wire-format reading

    /** A TensorProto as found on the wire; raw_data is kept as a slice of the file until decoded. */
    private record RawTensor(
            String name,
            int dataType,
            long[] dims,
            int rawOffset,
            int rawLength,
            float[] floatData,
            boolean external,
            long offset) {}

    /** A field's tag as read, and the file offset of the tag (where its error messages point). */
    private record Field(int tag, long at) {
        int number() {
            return WireFormat.getTagFieldNumber(tag);
        }

        int wireType() {
            return WireFormat.getTagWireType(tag);
        }
    }

    /** The parts of a NodeProto we use to name anonymous weights. */
    private record Node(String name, String opType, List<String> inputs, long offset) {}

    private static final class Reader {
        private final byte[] bytes;
        private final CodedInputStream in;
        private final List<RawTensor> initializers = new ArrayList<>();
        private final List<Node> matMuls = new ArrayList<>();
        /** What is being read, for error messages (e.g. "graph > initializer #12"). */
        private String where = "model";

        Reader(byte[] bytes) {
            this.bytes = bytes;
            this.in = CodedInputStream.newInstance(bytes);
            // The graph message of a 90 MB model is itself ~90 MB; the default limit is only for streams,
            // but set it anyway so that the reader never depends on that detail.
            this.in.setSizeLimit(Integer.MAX_VALUE);
        }

        private long pos() {
            return in.getTotalBytesRead();
        }

        OnnxWeights readModel() throws OnnxFormatException {
            try {
                long irVersion = -1;
                boolean sawGraph = false;
                for (Field f = nextField(); f != null; f = nextField()) {
                    switch (f.number()) {
                        case 1 -> {
                            expectWireType(f, WireFormat.WIRETYPE_VARINT, "ModelProto.ir_version");
                            irVersion = in.readInt64();
                        }
                        case 7 -> {
                            expectWireType(f, WireFormat.WIRETYPE_LENGTH_DELIMITED, "ModelProto.graph");
                            if (sawGraph) {
                                throw new OnnxFormatException("the model has two graphs", f.at());
                            }
                            int outer = enter("graph");
                            where = "graph";
                            readGraph();
                            in.popLimit(outer);
                            where = "model";
                            sawGraph = true;
                        }
                        default -> in.skipField(f.tag());
                    }
                }
                if (irVersion < 0) {
                    throw new OnnxFormatException(
                            "not an ONNX model: no ir_version (ModelProto field 1) found in " + bytes.length + " bytes",
                            -1);
                }
                if (!sawGraph) {
                    throw new OnnxFormatException(
                            "not an ONNX model: no graph (ModelProto field 7) found in " + bytes.length + " bytes", -1);
                }
                return resolve(irVersion);
            } catch (OnnxFormatException e) {
                throw e;
            } catch (IOException e) {
                // A CodedInputStream over a byte[] only throws InvalidProtocolBufferException: bad tag, bad
                // wire type, a varint that never ends, or a field running past the end of the data.
                throw new OnnxFormatException(
                        "malformed ONNX/protobuf data while reading " + where + ": " + e.getMessage(), pos(), e);
            }
        }

        private void readGraph() throws IOException {
            int nodeIndex = 0;
            int initializerIndex = 0;
            for (Field f = nextField(); f != null; f = nextField()) {
                switch (f.number()) {
                    case 1 -> {
                        expectWireType(f, WireFormat.WIRETYPE_LENGTH_DELIMITED, "GraphProto.node");
                        where = "graph > node #" + nodeIndex++;
                        Node node = readNode(f.at());
                        if (node.opType().equals("MatMul")) {
                            matMuls.add(node);
                        }
                    }
                    case 5 -> {
                        expectWireType(f, WireFormat.WIRETYPE_LENGTH_DELIMITED, "GraphProto.initializer");
                        where = "graph > initializer #" + initializerIndex++;
                        initializers.add(readTensor(f.at()));
                    }
                    default -> in.skipField(f.tag());
                }
                where = "graph";
            }
        }

        private Node readNode(long at) throws IOException {
            int outer = enter("node");
            String name = "";
            String opType = "";
            List<String> inputs = new ArrayList<>(2);
            for (Field f = nextField(); f != null; f = nextField()) {
                switch (f.number()) {
                    case 1 -> inputs.add(readString(f, "NodeProto.input"));
                    case 3 -> name = readString(f, "NodeProto.name");
                    case 4 -> opType = readString(f, "NodeProto.op_type");
                    default -> in.skipField(f.tag());
                }
            }
            in.popLimit(outer);
            return new Node(name, opType, inputs, at);
        }

        private RawTensor readTensor(long at) throws IOException {
            int outer = enter("initializer");
            String name = null;
            int dataType = 0;
            LongStream.Builder dims = LongStream.builder();
            int rawOffset = -1;
            int rawLength = -1;
            FloatList floatData = null;
            boolean external = false;
            for (Field f = nextField(); f != null; f = nextField()) {
                int wireType = f.wireType();
                switch (f.number()) {
                    case 1 -> { // dims: packed or not, both are legal protobuf encodings
                        if (wireType == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                            int limit = enter("TensorProto.dims");
                            while (in.getBytesUntilLimit() > 0) {
                                dims.add(in.readInt64());
                            }
                            in.popLimit(limit);
                        } else {
                            expectWireType(f, WireFormat.WIRETYPE_VARINT, "TensorProto.dims");
                            dims.add(in.readInt64());
                        }
                    }
                    case 2 -> {
                        expectWireType(f, WireFormat.WIRETYPE_VARINT, "TensorProto.data_type");
                        dataType = in.readInt32();
                    }
                    case 4 -> { // float_data: packed fixed32, or one fixed32 per tag
                        if (floatData == null) {
                            floatData = new FloatList();
                        }
                        if (wireType == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                            int length = checkedLength("TensorProto.float_data");
                            if (length % Float.BYTES != 0) {
                                throw new OnnxFormatException(
                                        "packed float_data of " + length + " bytes is not a whole number of floats",
                                        f.at());
                            }
                            for (int i = 0; i < length / Float.BYTES; i++) {
                                floatData.add(in.readFloat());
                            }
                        } else {
                            expectWireType(f, WireFormat.WIRETYPE_FIXED32, "TensorProto.float_data");
                            floatData.add(in.readFloat());
                        }
                    }
                    case 8 -> {
                        name = readString(f, "TensorProto.name");
                        where = where + " '" + name + "'";
                    }
                    case 9 -> {
                        expectWireType(f, WireFormat.WIRETYPE_LENGTH_DELIMITED, "TensorProto.raw_data");
                        rawLength = checkedLength("TensorProto.raw_data");
                        rawOffset = (int) pos();
                        // Not copied here: the floats are decoded once, straight from the file's bytes.
                        in.skipRawBytes(rawLength);
                    }
                    case 13 -> {
                        external = true;
                        in.skipField(f.tag());
                    }
                    case 14 -> {
                        expectWireType(f, WireFormat.WIRETYPE_VARINT, "TensorProto.data_location");
                        external |= in.readEnum() == DATA_LOCATION_EXTERNAL;
                    }
                    default -> in.skipField(f.tag());
                }
            }
            in.popLimit(outer);
            if (name == null || name.isEmpty()) {
                throw new OnnxFormatException("an initializer has no name", at);
            }
            return new RawTensor(
                    name,
                    dataType,
                    dims.build().toArray(),
                    rawOffset,
                    rawLength,
                    floatData == null ? null : floatData.toArray(),
                    external,
                    at);
        }

        /**
         * Reads the length prefix of a length-delimited field, checks that the data is really there and
         * limits reading to it. Checked here because an in-memory CodedInputStream would only notice a
         * truncated file later, with a less helpful message.
         */
        private int enter(String what) throws IOException {
            return in.pushLimit(checkedLength(what));
        }

        private int checkedLength(String what) throws IOException {
            long at = pos();
            int length = in.readRawVarint32();
            int untilLimit = in.getBytesUntilLimit();
            long remaining = untilLimit >= 0 ? untilLimit : bytes.length - pos();
            if (length < 0 || length > remaining) {
                String context = untilLimit >= 0 && untilLimit < bytes.length - pos()
                        ? " in its enclosing message (corrupt length)"
                        : " in the file (truncated file?)";
                throw new OnnxFormatException(
                        what + " in " + where + " declares " + Integer.toUnsignedLong(length) + " bytes but only "
                                + remaining + " remain" + context,
                        at);
            }
            return length;
        }

        /** The next field of the message being read, or null at its end (its limit, or the end of the data). */
        private Field nextField() throws IOException {
            long at = pos(); // offsets in messages point at the field's tag
            int tag = in.readTag();
            return tag == 0 ? null : new Field(tag, at);
        }

        private void expectWireType(Field f, int expected, String field) throws OnnxFormatException {
            if (f.wireType() != expected) {
                throw new OnnxFormatException(
                        field + " in " + where + " has wire type " + f.wireType() + ", expected " + expected
                                + " (corrupt file or not ONNX)",
                        f.at());
            }
        }

        /** A string field ({@code field}, for the message when its wire type is wrong). */
        private String readString(Field f, String field) throws IOException {
            expectWireType(f, WireFormat.WIRETYPE_LENGTH_DELIMITED, field);
            return in.readString();
        }

        // -----------------------------------------------------------------------------------------
        // Naming and decoding

        private OnnxWeights resolve(long irVersion) throws OnnxFormatException {
            Map<String, RawTensor> byName = new LinkedHashMap<>();
            for (RawTensor t : initializers) {
                if (byName.putIfAbsent(t.name(), t) != null) {
                    throw new OnnxFormatException("two initializers are named '" + t.name() + "'", t.offset());
                }
            }

            // Anonymous MatMul weights get the name of the layer whose MatMul node consumes them.
            Map<String, String> newNames = new HashMap<>();
            Map<String, Node> namedBy = new HashMap<>();
            for (Node node : matMuls) {
                String layer = layerPath(node.name());
                if (layer == null) {
                    continue; // not named like "/<layer path>/MatMul": its weight keeps its stored name
                }
                for (String input : node.inputs()) {
                    if (!input.startsWith(ANONYMOUS_PREFIX) || !byName.containsKey(input)) {
                        continue; // an activation (e.g. attention's q·kᵀ) or an already named initializer
                    }
                    Node earlier = namedBy.putIfAbsent(input, node);
                    if (earlier != null) {
                        throw new OnnxFormatException(
                                "initializer '" + input + "' is used by two MatMul nodes, '" + earlier.name()
                                        + "' and '" + node.name() + "', so it has no single layer name",
                                node.offset());
                    }
                    String newName = layer + ".weight";
                    if (byName.containsKey(newName)) {
                        throw new OnnxFormatException(
                                "renaming '" + input + "' to '" + newName
                                        + "' clashes with the initializer of that name",
                                node.offset());
                    }
                    newNames.put(input, newName);
                }
            }

            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Map<String, String> otherTypes = new LinkedHashMap<>();
            for (RawTensor raw : byName.values()) {
                String name = newNames.getOrDefault(raw.name(), raw.name());
                if (raw.dataType() != FLOAT) {
                    otherTypes.put(name, dataTypeName(raw.dataType()));
                    continue;
                }
                if (tensors.putIfAbsent(name, decode(name, raw)) != null) {
                    throw new OnnxFormatException(
                            "two MatMul nodes would give their weights the same name '" + name + "'", raw.offset());
                }
            }
            return new OnnxWeights(irVersion, tensors, otherTypes);
        }

        /** "/encoder/layer.0/attention/self/query/MatMul" -> "encoder.layer.0.attention.self.query", else null. */
        private static String layerPath(String nodeName) {
            if (!nodeName.startsWith("/")
                    || !nodeName.endsWith(MATMUL_SUFFIX)
                    || nodeName.length() <= 1 + MATMUL_SUFFIX.length()) {
                return null;
            }
            return nodeName.substring(1, nodeName.length() - MATMUL_SUFFIX.length())
                    .replace('/', '.');
        }

        private Tensor decode(String name, RawTensor raw) throws OnnxFormatException {
            String label = "initializer '" + raw.name() + "'" + (name.equals(raw.name()) ? "" : " (" + name + ")");
            if (raw.external()) {
                throw new OnnxFormatException(
                        label + " keeps its data in an external file, which is not supported", raw.offset());
            }
            int[] shape = new int[raw.dims().length];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                long d = raw.dims()[i];
                if (d < 0 || d > Integer.MAX_VALUE) {
                    throw new OnnxFormatException(label + " has invalid dimension " + d, raw.offset());
                }
                shape[i] = (int) d;
                count *= d;
                if (count > Shapes.MAX_ARRAY_LENGTH) {
                    throw new OnnxFormatException(
                            label + " has too many elements for a Java array: " + Arrays.toString(raw.dims()),
                            raw.offset());
                }
            }
            float[] data;
            if (raw.rawLength() >= 0) {
                if (raw.rawLength() != count * Float.BYTES) {
                    throw new OnnxFormatException(
                            label + " has shape " + Arrays.toString(shape) + " = " + count
                                    + " floats (" + count * Float.BYTES + " bytes) but its raw_data holds "
                                    + raw.rawLength() + " bytes",
                            raw.rawOffset());
                }
                data = new float[(int) count];
                // ONNX raw_data is little-endian whatever the platform.
                ByteBuffer.wrap(bytes, raw.rawOffset(), raw.rawLength())
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .asFloatBuffer()
                        .get(data);
            } else if (raw.floatData() != null) {
                data = raw.floatData();
                if (data.length != count) {
                    throw new OnnxFormatException(
                            label + " has shape " + Arrays.toString(shape) + " = " + count
                                    + " floats but its float_data holds " + data.length,
                            raw.offset());
                }
            } else if (count == 0) {
                data = new float[0];
            } else {
                throw new OnnxFormatException(
                        label + " has shape " + Arrays.toString(shape) + " but neither raw_data nor float_data",
                        raw.offset());
            }
            return new Tensor(name, raw.name(), shape, data);
        }

        private static String dataTypeName(int type) {
            String[] names = {
                "UNDEFINED",
                "FLOAT",
                "UINT8",
                "INT8",
                "UINT16",
                "INT16",
                "INT32",
                "INT64",
                "STRING",
                "BOOL",
                "FLOAT16",
                "DOUBLE",
                "UINT32",
                "UINT64",
                "COMPLEX64",
                "COMPLEX128",
                "BFLOAT16"
            };
            return type >= 0 && type < names.length ? names[type] : "data type " + type;
        }
    }

    /** A growable float list, so that float_data is not boxed (dims use {@link LongStream.Builder}). */
    private static final class FloatList {
        private float[] a = new float[16];
        private int n;

        void add(float v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        float[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
