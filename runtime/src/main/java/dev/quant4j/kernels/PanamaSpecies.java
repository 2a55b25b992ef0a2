package dev.quant4j.kernels;

import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector species of the SIMD kernels, fixed once per JVM. They are {@code static final} on purpose:
 * C2 only turns Vector API calls into machine instructions when the species is a compile-time constant,
 * so a width chosen per instance would run the (slow, allocating) Java fallback.
 */
final class PanamaSpecies {
    /** Vector width in bits: 128, 256 or 512. */
    static final int BITS = chooseBits();

    static final VectorShape SHAPE = VectorShape.forBitSize(BITS);
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.withShape(SHAPE);
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED.withShape(SHAPE);
    /** Float (and int) lanes per vector. */
    static final int L = F.length();
    /** Longs holding the same bits as one int vector. */
    static final VectorSpecies<Long> LONGS = LongVector.SPECIES_PREFERRED.withShape(SHAPE);
    /** The narrowest byte species with at least L lanes (64-bit is the smallest shape). */
    static final VectorSpecies<Byte> BL =
            ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(Math.max(64, 8 * L)));
    /** The narrowest byte species with at least L / 2 lanes. */
    static final VectorSpecies<Byte> BH =
            ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(Math.max(64, 4 * L)));
    /** The narrowest byte species with at least L / 4 lanes. */
    static final VectorSpecies<Byte> BQ =
            ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(Math.max(64, 2 * L)));
    /** True when BL has exactly L lanes, so loads and stores need no mask. */
    static final boolean BL_EXACT = BL.length() == L;

    static final boolean BH_EXACT = BH.length() == L / 2;
    static final boolean BQ_EXACT = BQ.length() == L / 4;
    static final VectorMask<Byte> BL_MASK = BL.indexInRange(0, L);
    static final VectorMask<Byte> BH_MASK = BH.indexInRange(0, L / 2);
    static final VectorMask<Byte> BQ_MASK = BQ.indexInRange(0, L / 4);

    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT_LE =
            MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    private PanamaSpecies() {}

    /*
     * Byte vectors narrower than 64 bits do not exist, so at 128 and 256 bits some code loads and stores use
     * only the first 1, 2 or 4 lanes of a 64-bit byte vector. A masked byte access of 8 lanes is not intrinsified
     * without AVX-512 (C2: "not supported: op=loadMasked vlen=8 etype=byte" with -XX:UseAVX=2 or 0), so it runs
     * the allocating Java fallback: measured 5 x slower Q4F quantize on AVX2. These two helpers keep masks
     * out of the hot path.
     */

    /**
     * The byte vector at {@code a[i ..]} whose first lanes (those {@code m} selects) are all that the caller
     * uses: an unmasked load wherever the whole vector lies in the array (the lanes past {@code m} then hold
     * the following bytes and are ignored), a masked one only at the array's end.
     */
    static ByteVector loadFirst(VectorSpecies<Byte> species, byte[] a, int i, VectorMask<Byte> m) {
        return i <= a.length - species.length()
                ? ByteVector.fromArray(species, a, i)
                : ByteVector.fromArray(species, a, i, m);
    }

    /** Stores the first {@code n} lanes of {@code b} (n = 1, 2 or 4) at {@code a[i ..]} with one scalar store. */
    static void storeFirst(ByteVector b, int n, byte[] a, int i) {
        switch (n) {
            case 4 -> INT_LE.set(a, i, b.reinterpretAsInts().lane(0));
            case 2 -> SHORT_LE.set(a, i, b.reinterpretAsShorts().lane(0));
            case 1 -> a[i] = b.lane(0);
            default -> throw new IllegalArgumentException("storeFirst of " + n + " lanes");
        }
    }

    /** The widest width this CPU runs natively (0 if it has no SIMD the Vector API uses). */
    static int maxBits() {
        return VectorShape.preferredShape().vectorBitSize();
    }

    private static int chooseBits() {
        int max = maxBits();
        String p = System.getProperty(Kernels.VECTOR_BITS_PROPERTY);
        if (p == null || p.isBlank()) {
            return Math.min(max, 512);
        }
        int want;
        try {
            want = Integer.parseInt(p.trim());
        } catch (NumberFormatException e) {
            want = -1;
        }
        if (want != 128 && want != 256 && want != 512) {
            System.getLogger("dev.quant4j.kernels")
                    .log(
                            Level.WARNING,
                            "quant4j kernels: ignoring -D" + Kernels.VECTOR_BITS_PROPERTY + "=" + p
                                    + " (use 128, 256 or 512); using " + max + " bits");
            return Math.min(max, 512);
        }
        if (want > max) {
            System.getLogger("dev.quant4j.kernels")
                    .log(
                            Level.WARNING,
                            "quant4j kernels: -D"
                                    + Kernels.VECTOR_BITS_PROPERTY + "=" + want + " is wider than this CPU's " + max
                                    + "-bit vectors; using " + max + " bits");
            return max;
        }
        return want;
    }
}
