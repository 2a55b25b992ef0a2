package dev.quant4j.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.System.Logger.Level;

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
    static final VectorSpecies<Byte> BL = ByteVector.SPECIES_PREFERRED.withShape(
            VectorShape.forBitSize(Math.max(64, 8 * L)));
    /** The narrowest byte species with at least L / 2 lanes. */
    static final VectorSpecies<Byte> BH = ByteVector.SPECIES_PREFERRED.withShape(
            VectorShape.forBitSize(Math.max(64, 4 * L)));
    /** The narrowest byte species with at least L / 4 lanes. */
    static final VectorSpecies<Byte> BQ = ByteVector.SPECIES_PREFERRED.withShape(
            VectorShape.forBitSize(Math.max(64, 2 * L)));
    /** True when BL has exactly L lanes, so loads and stores need no mask. */
    static final boolean BL_EXACT = BL.length() == L;
    static final boolean BH_EXACT = BH.length() == L / 2;
    static final boolean BQ_EXACT = BQ.length() == L / 4;
    static final VectorMask<Byte> BL_MASK = BL.indexInRange(0, L);
    static final VectorMask<Byte> BH_MASK = BH.indexInRange(0, L / 2);
    static final VectorMask<Byte> BQ_MASK = BQ.indexInRange(0, L / 4);

    private PanamaSpecies() {
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
            System.getLogger("dev.quant4j.kernels").log(Level.WARNING, "quant4j kernels: ignoring -D"
                    + Kernels.VECTOR_BITS_PROPERTY + "=" + p + " (use 128, 256 or 512); using " + max + " bits");
            return Math.min(max, 512);
        }
        if (want > max) {
            System.getLogger("dev.quant4j.kernels").log(Level.WARNING, "quant4j kernels: -D"
                    + Kernels.VECTOR_BITS_PROPERTY + "=" + want + " is wider than this CPU's " + max
                    + "-bit vectors; using " + max + " bits");
            return max;
        }
        return want;
    }
}
