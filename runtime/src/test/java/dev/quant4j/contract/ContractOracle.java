package dev.quant4j.contract;

import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the contract says quantizing a tensor must give, computed from the contract's rules alone:
 * block geometry by unravelling every flat index into coordinates, scales and codes through
 * {@link Exact} rational arithmetic, {@link ScaleGrid} and {@link FloatFormat} searches, packing into
 * 32-bit words by explicit bit positions. It uses only the runtime's vocabulary enums (param, store),
 * none of its arithmetic, layout or packing code.
 */
final class ContractOracle {
    private ContractOracle() {}

    enum Outcome {
        /** Quantizes; codes, scales and dequantized values are given. */
        OK,
        /** The scheme is invalid on its own (sub-byte NATIVE) or for this shape (block rank, rank 0). */
        SCHEME_ERROR,
        /** A NaN or infinity is in the input. */
        NON_FINITE,
        /** Some block's scale is above the param type's largest finite value. */
        SCALE_OVERFLOW
    }

    /** The scheme in the oracle's own terms; {@code block == null} is the tensor level. */
    record Scheme(ContractValue value, int[] block, QuantStore store, QuantParam param) {
        boolean tensorLevel() {
            return block == null;
        }

        /** The block without leading 1s (at least one extent): leading 1s do not change a right-aligned block. */
        int[] effectiveBlock() {
            int first = 0;
            while (first < block.length - 1 && block[first] == 1) {
                first++;
            }
            return Arrays.copyOfRange(block, first, block.length);
        }
    }

    /**
     * The expected result.
     *
     * @param codes          per element: the signed integer code, or the float format's bit pattern
     * @param scales         one per block, row-major over the grid
     * @param dequantized    {@code q * s} per element
     * @param words          U32 store: the packed 32-bit words; NATIVE: one code byte per entry
     * @param grid           blocks per dimension
     * @param badBlocks      for SCALE_OVERFLOW, the grid coordinates of every overflowing block
     * @param nonFinite      for NON_FINITE, the flat indices of every non-finite value
     * @param blockOf        the block (scale index) of every element
     */
    record Expected(
            Outcome outcome,
            int[] codes,
            float[] scales,
            float[] dequantized,
            int[] words,
            int[] grid,
            List<int[]> badBlocks,
            List<Integer> nonFinite,
            int[] blockOf) {}

    static Expected expect(int[] shape, float[] x, Scheme scheme) {
        ContractValue v = scheme.value();
        int rank = shape.length;
        if (v.bits < 8 && scheme.store() == QuantStore.NATIVE) {
            return error(Outcome.SCHEME_ERROR, null, List.of(), List.of());
        }
        if (!scheme.tensorLevel() && scheme.effectiveBlock().length > rank) {
            return error(Outcome.SCHEME_ERROR, null, List.of(), List.of());
        }
        List<Integer> nonFinite = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            if (Float.isNaN(x[i]) || Float.isInfinite(x[i])) {
                nonFinite.add(i);
            }
        }
        if (!nonFinite.isEmpty()) {
            return error(Outcome.NON_FINITE, null, List.of(), nonFinite);
        }

        int[] blockShape = new int[rank];
        int[] grid = new int[rank];
        if (scheme.tensorLevel()) {
            // One block covering everything: every element maps to block 0.
            Arrays.fill(blockShape, Integer.MAX_VALUE);
            Arrays.fill(grid, 1);
        } else {
            int[] eb = scheme.effectiveBlock();
            for (int d = 0; d < rank; d++) {
                int k = d - (rank - eb.length);
                blockShape[d] = k < 0 ? 1 : eb[k];
                grid[d] = shape[d] == 0 ? 0 : (shape[d] + blockShape[d] - 1) / blockShape[d];
            }
        }
        int blockCount = 1;
        for (int g : grid) {
            blockCount *= g;
        }
        if (scheme.tensorLevel()) {
            blockCount = 1;
        }
        int[] blockOf = new int[x.length];
        int[] coordinate = new int[rank];
        for (int i = 0; i < x.length; i++) {
            int rest = i;
            for (int d = rank - 1; d >= 0; d--) {
                coordinate[d] = rest % shape[d];
                rest /= shape[d];
            }
            int b = 0;
            for (int d = 0; d < rank; d++) {
                b = b * grid[d] + coordinate[d] / blockShape[d];
            }
            blockOf[i] = b;
        }

        int[] amaxBits = new int[blockCount];
        for (int i = 0; i < x.length; i++) {
            amaxBits[blockOf[i]] = Math.max(amaxBits[blockOf[i]], Exact.magnitudeBits(x[i]));
        }
        float[] scales = new float[blockCount];
        List<int[]> bad = new ArrayList<>();
        for (int b = 0; b < blockCount; b++) {
            float raw = v.rawScale(Float.intBitsToFloat(amaxBits[b]));
            double stored = ScaleGrid.roundUp(raw, scheme.param());
            if (Double.isNaN(stored)) {
                bad.add(gridCoordinates(b, grid));
            } else {
                scales[b] = (float) stored;
            }
        }
        if (!bad.isEmpty()) {
            return error(Outcome.SCALE_OVERFLOW, grid, bad, List.of());
        }

        int[] codes = new int[x.length];
        float[] deq = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            int b = blockOf[i];
            float s = scales[b];
            int code;
            if (amaxBits[b] == 0) {
                code = 0;
            } else {
                float y = Exact.divide(x[i], s);
                if (v.isFloat()) {
                    code = v.format.encode(y);
                } else {
                    code = (int) Math.max(v.a, Math.min(v.b, Exact.roundHalfEven(y)));
                }
            }
            codes[i] = code;
            double q = v.isFloat() ? v.format.value(code) : code;
            deq[i] = Exact.multiply(Exact.of(q), Exact.of(s));
        }
        return new Expected(
                Outcome.OK, codes, scales, deq, pack(codes, v, scheme.store()), grid, List.of(), List.of(), blockOf);
    }

    private static Expected error(Outcome o, int[] grid, List<int[]> bad, List<Integer> nonFinite) {
        return new Expected(o, null, null, null, null, grid, bad, nonFinite, null);
    }

    static int[] gridCoordinates(int block, int[] grid) {
        int[] c = new int[grid.length];
        int rest = block;
        for (int d = grid.length - 1; d >= 0; d--) {
            c[d] = rest % grid[d];
            rest /= grid[d];
        }
        return c;
    }

    /**
     * U32: code k occupies bits [k * bits, (k + 1) * bits) of word k * bits / 32, low bits first, the last
     * word zero-padded. NATIVE: one entry (a byte) per code. Integer codes are n-bit two's complement.
     */
    static int[] pack(int[] codes, ContractValue v, QuantStore store) {
        if (store == QuantStore.NATIVE) {
            int[] out = new int[codes.length];
            for (int k = 0; k < codes.length; k++) {
                out[k] = codes[k] & 0xFF;
            }
            return out;
        }
        return packWords(codes, v.bits);
    }

    static int[] packWords(int[] codes, int bits) {
        int[] words = new int[(int) (((long) codes.length * bits + 31) / 32)];
        for (int k = 0; k < codes.length; k++) {
            long bit = (long) k * bits;
            words[(int) (bit / 32)] |= (codes[k] & ((1 << bits) - 1)) << (bit % 32);
        }
        return words;
    }
}
