package dev.quant4j.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.quant4j.annotations.QuantStore;
import dev.quant4j.errors.NonFiniteValueException;
import dev.quant4j.errors.QuantizationException;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.kernels.QuantKernels;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Runs a kernel implementation on one input and holds it to {@link ContractOracle}'s expectation, bit for bit. */
final class Conformance {
    private Conformance() {}

    /** The scalar reference, and the active kernels too when they are a different implementation. */
    static List<QuantKernels> kernelsUnderTest() {
        List<QuantKernels> out = new ArrayList<>();
        out.add(Kernels.scalar());
        if (!Kernels.active().name().equals(Kernels.scalar().name())) {
            out.add(Kernels.active());
        }
        return out;
    }

    /** The runtime scheme for the oracle's scheme, built through the public builder. */
    static QuantScheme toRuntime(ContractOracle.Scheme s) {
        QuantScheme q = QuantScheme.DEFAULT
                .withValue(s.value().quantValue())
                .withStore(s.store())
                .withParam(s.param());
        return s.tensorLevel() ? q : q.withBlockSize(s.block());
    }

    /**
     * Quantizes {@code x} with every kernel under test and checks codes, packed bytes, scales and
     * dequantized values (or the error) against the oracle. {@code context} goes into every failure
     * message so the case can be replayed (seed, case number).
     */
    static ContractOracle.Expected check(
            String name, int[] shape, float[] x, ContractOracle.Scheme scheme, String context) {
        ContractOracle.Expected want = ContractOracle.expect(shape, x, scheme);
        QuantScheme qs = toRuntime(scheme);
        String where = context + " tensor '" + name + "' shape " + Arrays.toString(shape) + " scheme " + qs;
        for (QuantKernels k : kernelsUnderTest()) {
            String at = "[" + k.name() + "] " + where;
            FloatTensor t = FloatTensor.of(x, shape);
            if (want.outcome() != ContractOracle.Outcome.OK) {
                QuantizationException e = assertThrows(
                        QuantizationException.class,
                        () -> k.quantize(name, t, qs),
                        at + ": expected " + want.outcome());
                checkError(name, x, want, e, at);
                continue;
            }
            QuantizedTensor q;
            try {
                q = k.quantize(name, t, qs);
            } catch (RuntimeException e) {
                throw new AssertionError(at + ": expected success, got " + e, e);
            }
            assertArrayEquals(shape, q.shape(), at + ": shape");
            assertEquals(qs, q.scheme(), at + ": scheme");
            compareFloats(want.scales(), q.scales(), at + ": scale of block", null);
            for (int i = 0; i < x.length; i++) {
                if (q.code(i) != want.codes()[i]) {
                    int b = want.blockOf()[i];
                    fail(at + ": code of element " + i + " (x = " + x[i] + ", block " + b + ", scale "
                            + want.scales()[b] + ") is " + q.code(i) + ", contract says " + want.codes()[i]);
                }
            }
            assertArrayEquals(expectedBytes(want, scheme.store()), q.codes(), at + ": packed bytes");
            float[] out = new float[x.length];
            k.dequantize(q, out);
            compareFloats(want.dequantized(), out, at + ": dequantized element", x);
        }
        return want;
    }

    private static void checkError(
            String name, float[] x, ContractOracle.Expected want, QuantizationException e, String at) {
        String msg = e.getMessage();
        assertTrue(msg.contains(name), at + ": error must name the tensor: " + msg);
        assertEquals(name, e.tensor(), at + ": exception's tensor()");
        switch (want.outcome()) {
            case NON_FINITE -> {
                NonFiniteValueException n = assertInstanceOf(NonFiniteValueException.class, e, at);
                int index = (int) n.index();
                assertTrue(
                        want.nonFinite().contains(index),
                        at + ": named index " + index + " is not one of the non-finite " + want.nonFinite());
                assertEquals(Float.floatToIntBits(x[index]), Float.floatToIntBits(n.value()), at + ": value");
                assertTrue(msg.contains(Long.toString(index)), at + ": message must name the index: " + msg);
                assertTrue(msg.contains(Float.toString(x[index])), at + ": message must name the value: " + msg);
            }
            case SCALE_OVERFLOW -> {
                assertFalse(e instanceof NonFiniteValueException, at);
                boolean named = want.badBlocks().stream().anyMatch(c -> msg.contains("block " + Arrays.toString(c)));
                assertTrue(
                        named,
                        at + ": message must name an overflowing block (one of "
                                + want.badBlocks().stream()
                                        .map(Arrays::toString)
                                        .toList() + "): " + msg);
            }
            case SCHEME_ERROR -> assertFalse(e instanceof NonFiniteValueException, at);
            default -> fail("unreachable");
        }
    }

    static byte[] expectedBytes(ContractOracle.Expected want, QuantStore store) {
        int[] w = want.words();
        if (store == QuantStore.NATIVE) {
            byte[] b = new byte[w.length];
            for (int i = 0; i < w.length; i++) {
                b[i] = (byte) w[i];
            }
            return b;
        }
        return wordsToLittleEndian(w);
    }

    static byte[] wordsToLittleEndian(int[] words) {
        ByteBuffer bb = ByteBuffer.allocate(words.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asIntBuffer().put(words);
        return bb.array();
    }

    /** Bitwise comparison (so -0.0 differs from +0.0), failing at the first difference with its index. */
    static void compareFloats(float[] want, float[] got, String what, float[] inputs) {
        assertEquals(want.length, got.length, what + " count");
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                fail(what + " " + i + (inputs == null ? "" : " (x = " + inputs[i] + ")") + ": got " + got[i]
                        + " (0x" + Integer.toHexString(Float.floatToRawIntBits(got[i])) + "), contract says "
                        + want[i] + " (0x" + Integer.toHexString(Float.floatToRawIntBits(want[i])) + ")");
            }
        }
    }
}
