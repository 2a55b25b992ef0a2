package dev.quant4j.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantStore;
import dev.quant4j.scheme.QuantScheme;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every value x level x store x param of the contract, each on the same fixed set of shapes (rank 0
 * to 5, odd sizes, zero-element tensors, cut-short edge blocks, blocks larger than the tensor, blocks
 * with more extents than the tensor) filled with seeded random values, checked bit for bit against
 * {@link ContractOracle}.
 */
class CrossProductTest {
    private static final long SEED = 0x9E3779B97F4A7C15L;

    /** Block extents as a user would write them (some with leading 1s); null is the tensor level. */
    private static final int[][] LEVELS = {
        null, {1}, {4}, {32}, {2, 16}, {3, 5, 7}, {1, 3}, {2, 1, 3, 2}, {1, 2, 3, 2, 2}, {2, 2, 2, 2, 3}, {64, 64},
    };

    private static final int[][] FIXED_SHAPES = {
        {}, {0}, {13}, {4, 0, 3}, {5, 33}, {3, 5, 7}, {2, 3, 4, 5}, {2, 1, 3, 2, 5}, {1, 1},
    };
    private static final int RANDOM_SHAPES = 2;

    private static final Map<ContractOracle.Outcome, AtomicLong> OUTCOMES = new EnumMap<>(ContractOracle.Outcome.class);
    private static final AtomicLong ELEMENTS = new AtomicLong();

    static {
        for (ContractOracle.Outcome o : ContractOracle.Outcome.values()) {
            OUTCOMES.put(o, new AtomicLong());
        }
    }

    static Stream<Arguments> schemes() {
        List<Arguments> out = new ArrayList<>();
        int index = 0;
        for (ContractValue v : ContractValue.values()) {
            for (int[] level : LEVELS) {
                for (QuantStore store : QuantStore.values()) {
                    for (QuantParam param : QuantParam.values()) {
                        ContractOracle.Scheme s = new ContractOracle.Scheme(v, level, store, param);
                        String label =
                                Conformance.toRuntime(s) + (level == null ? "" : " given as " + Arrays.toString(level));
                        out.add(Arguments.of(label, s, index++));
                    }
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schemes")
    void quantizesAsTheContractSays(String label, ContractOracle.Scheme scheme, int index) {
        QuantScheme runtime = Conformance.toRuntime(scheme);
        boolean subByteNative = scheme.value().bits < 8 && scheme.store() == QuantStore.NATIVE;
        assertEquals(subByteNative, !runtime.isValid(), label + ": problems() = " + runtime.problems());

        long seed = SEED ^ (index * 0xBF58476D1CE4E5B9L);
        SplittableRandom r = new SplittableRandom(seed);
        List<int[]> shapes = new ArrayList<>(Arrays.asList(FIXED_SHAPES));
        for (int i = 0; i < RANDOM_SHAPES; i++) {
            shapes.add(TensorGen.shape(r, 1 + r.nextInt(5)));
        }
        int quantizable = 0;
        for (int t = 0; t < shapes.size(); t++) {
            int[] shape = shapes.get(t);
            TensorGen.Style style = TensorGen.drawStyle(r);
            float[] x = TensorGen.values(r, TensorGen.elementCount(shape), style);
            String context = "seed 0x" + Long.toHexString(seed) + " tensor #" + t + " (" + style + ")";
            ContractOracle.Expected want = Conformance.check("w" + t, shape, x, scheme, context);
            OUTCOMES.get(want.outcome()).incrementAndGet();
            ELEMENTS.addAndGet(x.length);
            if (want.outcome() == ContractOracle.Outcome.OK) {
                quantizable++;
            }
        }
        // Guard against a generator change that would silently turn the sweep into error checks only.
        if (subByteNative) {
            assertEquals(0, quantizable, label);
        } else if (scheme.tensorLevel() || scheme.effectiveBlock().length <= 1) {
            assertTrue(quantizable >= 3, label + ": only " + quantizable + " tensors quantized");
        }
    }

    @AfterAll
    static void summary() {
        System.out.println("CrossProductTest: " + ELEMENTS.get() + " elements; outcomes " + OUTCOMES);
    }
}
