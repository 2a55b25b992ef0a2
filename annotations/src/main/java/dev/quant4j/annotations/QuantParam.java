package dev.quant4j.annotations;

/** The type a scale is stored in. Scales are always rounded up onto this type's grid. */
public enum QuantParam {
    /** IEEE binary32. */
    F32(4),
    /** IEEE binary16 (largest finite 65504). */
    F16(2),
    /** bfloat16 (float32 with 16 mantissa bits dropped). */
    BF16(2),
    /** Unsigned power of two, 8 exponent bits, 2^-127 to 2^127 (OCP MX scales). */
    UE8M0(1);

    private final int bytes;

    QuantParam(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes one stored scale takes. */
    public int bytes() {
        return bytes;
    }

    /** Lower-case name used in the text form of a scheme. */
    public String token() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
