package dev.quant4j.examples.minilm.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The ONNX reader on small models written here with protobuf's CodedOutputStream, field by field. */
class OnnxWeightsTest {

    private static final String QUERY_NODE = "/encoder/layer.0/attention/self/query/MatMul";

    @FunctionalInterface
    interface Body {
        void write(CodedOutputStream out) throws IOException;
    }

    private static byte[] message(Body body) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        body.write(out);
        out.flush();
        return bytes.toByteArray();
    }

    private static byte[] littleEndian(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    /** TensorProto with packed dims and raw_data, in the field order PyTorch writes. */
    private static byte[] rawTensor(String name, int dataType, long[] dims, byte[] raw) throws IOException {
        return message(out -> {
            out.writeTag(1, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            out.writeUInt32NoTag(Arrays.stream(dims)
                    .mapToInt(CodedOutputStream::computeInt64SizeNoTag)
                    .sum());
            for (long d : dims) {
                out.writeInt64NoTag(d);
            }
            out.writeInt32(2, dataType);
            out.writeString(8, name);
            out.writeByteArray(9, raw);
        });
    }

    private static byte[] node(String name, String opType, String... inputs) throws IOException {
        return message(out -> {
            for (String input : inputs) {
                out.writeString(1, input);
            }
            out.writeString(2, name + "_output_0");
            out.writeString(3, name);
            out.writeString(4, opType);
        });
    }

    private static byte[] model(List<byte[]> nodes, List<byte[]> initializers) throws IOException {
        byte[] graph = message(out -> {
            for (byte[] n : nodes) {
                out.writeByteArray(1, n);
            }
            out.writeString(2, "torch_jit");
            for (byte[] t : initializers) {
                out.writeByteArray(5, t);
            }
        });
        return message(out -> {
            out.writeInt64(1, 6);
            out.writeString(2, "pytorch");
            out.writeByteArray(7, graph);
        });
    }

    private static byte[] smallModel() throws IOException {
        return model(
                List.of(
                        node(QUERY_NODE, "MatMul", "/embeddings/LayerNorm/Add_1_output_0", "onnx::MatMul_7"),
                        node("/encoder/layer.0/attention/self/MatMul", "MatMul", "q", "k")),
                List.of(
                        rawTensor(
                                "encoder.layer.0.attention.self.query.bias",
                                1,
                                new long[] {3},
                                littleEndian(0.5f, -0.5f, 0.25f)),
                        rawTensor("onnx::MatMul_7", 1, new long[] {2, 3}, littleEndian(1, 2, 3, 4, 5, 6)),
                        rawTensor("embeddings.position_ids", 7, new long[] {1, 2}, new byte[16])));
    }

    @Test
    void namesAnonymousWeightAfterTheMatMulNodeThatUsesIt() throws IOException {
        OnnxWeights w = OnnxWeights.read(smallModel());
        assertEquals(6, w.irVersion());
        assertEquals(
                List.of("encoder.layer.0.attention.self.query.bias", "encoder.layer.0.attention.self.query.weight"),
                List.copyOf(w.names()));
        OnnxWeights.Tensor weight = w.tensor("encoder.layer.0.attention.self.query.weight");
        assertEquals("onnx::MatMul_7", weight.storedName());
        assertArrayEquals(new int[] {2, 3}, weight.shape());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, weight.data());
        assertArrayEquals(new float[] {0.5f, -0.5f, 0.25f}, w.floats("encoder.layer.0.attention.self.query.bias", 3));
    }

    @Test
    void explainsMissingWrongShapeAndNonFloatTensors() throws IOException {
        OnnxWeights w = OnnxWeights.read(smallModel());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> w.tensor("nope"));
        assertTrue(missing.getMessage().contains("no float initializer named 'nope'"), missing.getMessage());
        IllegalArgumentException shape = assertThrows(
                IllegalArgumentException.class, () -> w.floats("encoder.layer.0.attention.self.query.weight", 3, 2));
        assertTrue(shape.getMessage().contains("[2, 3]") && shape.getMessage().contains("[3, 2]"), shape.getMessage());
        IllegalArgumentException int64 =
                assertThrows(IllegalArgumentException.class, () -> w.tensor("embeddings.position_ids"));
        assertTrue(int64.getMessage().contains("INT64"), int64.getMessage());
    }

    @Test
    void readsUnpackedDimsAndFloatData() throws IOException {
        byte[] tensor = message(out -> {
            out.writeInt64(1, 2);
            out.writeInt64(1, 2);
            out.writeInt32(2, 1);
            out.writeString(8, "w");
            for (float f : new float[] {1.5f, -2f, 3f, 0f}) {
                out.writeFloat(4, f);
            }
        });
        byte[] packed = message(out -> {
            out.writeInt64(1, 3);
            out.writeInt32(2, 1);
            out.writeString(8, "b");
            out.writeTag(4, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            out.writeUInt32NoTag(12);
            out.writeFloatNoTag(7f);
            out.writeFloatNoTag(8f);
            out.writeFloatNoTag(9f);
        });
        OnnxWeights w = OnnxWeights.read(model(List.of(), List.of(tensor, packed)));
        assertArrayEquals(new float[] {1.5f, -2f, 3f, 0f}, w.floats("w", 2, 2));
        assertArrayEquals(new float[] {7f, 8f, 9f}, w.floats("b", 3));
    }

    @Test
    void keepsTheStoredNameWhenTheNodeNameIsNotALayerPath() throws IOException {
        byte[] bytes = model(
                List.of(node("MatMul_12", "MatMul", "x", "onnx::MatMul_3")),
                List.of(rawTensor("onnx::MatMul_3", 1, new long[] {1, 1}, littleEndian(2f))));
        assertEquals(
                List.of("onnx::MatMul_3"), List.copyOf(OnnxWeights.read(bytes).names()));
    }

    @Test
    void everyTruncationIsReportedAsAFormatError() throws IOException {
        byte[] bytes = smallModel();
        for (int length = 0; length < bytes.length; length++) {
            byte[] prefix = Arrays.copyOf(bytes, length);
            try {
                OnnxWeights.read(prefix);
                fail("a model cut to " + length + " of " + bytes.length + " bytes was accepted");
            } catch (OnnxFormatException expected) {
                assertTrue(expected.offset() <= length, expected.getMessage());
            }
        }
    }

    @Test
    void truncatedGraphNamesWhatAndWhere() throws IOException {
        byte[] bytes = smallModel();
        OnnxFormatException e =
                rejected(Arrays.copyOf(bytes, bytes.length - 10), "graph", "truncated file?", "at byte offset 12");
        // ir_version (2 bytes) + producer_name (9 bytes), then the graph's tag: its length varint is at 12.
        assertEquals(12, e.offset(), e.getMessage());
    }

    @Test
    void rejectsFilesThatAreNotOnnx() {
        OnnxFormatException text = assertThrows(
                OnnxFormatException.class,
                () -> OnnxWeights.read("This is a text file, not a model.\n".getBytes(StandardCharsets.UTF_8)));
        assertTrue(
                text.getMessage().contains("malformed") || text.getMessage().contains("not an ONNX model"),
                text.getMessage());
        OnnxFormatException empty = assertThrows(OnnxFormatException.class, () -> OnnxWeights.read(new byte[0]));
        assertTrue(empty.getMessage().contains("no ir_version"), empty.getMessage());
        for (long seed = 1; seed <= 20; seed++) {
            byte[] noise = new byte[4096];
            new Random(seed).nextBytes(noise);
            assertThrows(OnnxFormatException.class, () -> OnnxWeights.read(noise), "seed " + seed);
        }
    }

    @Test
    void rejectsRawDataOfTheWrongSize() throws IOException {
        byte[] bytes = model(List.of(), List.of(rawTensor("w", 1, new long[] {2, 3}, new byte[20])));
        OnnxFormatException e = rejected(bytes, "'w'", "[2, 3]", "24 bytes", "holds 20 bytes");
        assertTrue(e.offset() > 0, e.getMessage());
    }

    @Test
    void rejectsALengthThatOverrunsItsEnclosingMessage() throws IOException {
        // A tensor whose raw_data claims 100 bytes, inside a tensor message that holds far fewer.
        byte[] tensor = message(out -> {
            out.writeString(8, "w");
            out.writeTag(9, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            out.writeUInt32NoTag(100);
            out.writeRawBytes(new byte[8]);
        });
        byte[] bytes = model(List.of(), List.of(tensor, rawTensor("padding", 1, new long[] {64}, new byte[256])));
        rejected(bytes, "raw_data", "enclosing message", "initializer #0 'w'");
    }

    @Test
    void rejectsAWrongWireType() throws IOException {
        byte[] bytes = message(out -> {
            out.writeString(1, "six"); // ir_version must be a varint
            out.writeByteArray(7, new byte[0]);
        });
        OnnxFormatException e = rejected(bytes, "ModelProto.ir_version", "wire type 2");
        assertEquals(0, e.offset(), "the offset of the field's tag");
    }

    @Test
    void rejectsExternalData() throws IOException {
        byte[] tensor = message(out -> {
            out.writeInt64(1, 4);
            out.writeInt32(2, 1);
            out.writeString(8, "w");
            out.writeInt32(14, 1); // data_location = EXTERNAL
        });
        rejected(model(List.of(), List.of(tensor)), "external");
    }

    @Test
    void rejectsAWeightSharedByTwoLayers() throws IOException {
        byte[] bytes = model(
                List.of(
                        node(QUERY_NODE, "MatMul", "x", "onnx::MatMul_7"),
                        node("/encoder/layer.0/attention/self/key/MatMul", "MatMul", "x", "onnx::MatMul_7")),
                List.of(rawTensor("onnx::MatMul_7", 1, new long[] {1, 1}, littleEndian(1f))));
        rejected(bytes, QUERY_NODE, "/key/MatMul");
    }

    /** {@code OnnxWeights.read} refuses {@code bytes} with a message that holds every fragment. */
    private static OnnxFormatException rejected(byte[] bytes, String... fragments) {
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxWeights.read(bytes));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "expected '" + f + "' in: " + e.getMessage());
        }
        return e;
    }
}
