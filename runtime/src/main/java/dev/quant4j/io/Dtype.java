package dev.quant4j.io;

/**
 * The element types a safetensors header may name, with their sizes in bits. The names are the ones
 * the Hugging Face format defines; a file may hold any of them, and tensors this project does not
 * compute on (integers, F64, the 8-bit floats) are carried through unchanged.
 */
public enum Dtype {
    BOOL(8),
    U8(8),
    I8(8),
    F8_E5M2(8),
    F8_E4M3(8),
    F8_E8M0(8),
    I16(16),
    U16(16),
    F16(16),
    BF16(16),
    I32(32),
    U32(32),
    F32(32),
    F64(64),
    I64(64),
    U64(64),
    C64(64),
    /** 4-bit float (MX FP4); two elements per byte. */
    F4(4),
    F6_E2M3(6),
    F6_E3M2(6);

    private final int bits;

    Dtype(int bits) {
        this.bits = bits;
    }

    /** Bits one element takes. */
    public int bits() {
        return bits;
    }

    /** The name as written in a header, e.g. {@code BF16}. */
    public String fileName() {
        return name();
    }

    /** True for the float types quant4j reads as float32 values: F32, F16, BF16. */
    public boolean isQuantizable() {
        return this == F32 || this == F16 || this == BF16;
    }

    /**
     * Bytes {@code count} elements take, or -1 when that overflows a long or, for the sub-byte types,
     * does not end on a byte boundary (the format forbids a tensor that ends inside a byte).
     */
    public long byteSize(long count) {
        if (count < 0 || count > Long.MAX_VALUE / bits) {
            return -1;
        }
        long totalBits = count * bits;
        return totalBits % 8 == 0 ? totalBits / 8 : -1;
    }

    /** The dtype with this header name (exact, upper case), or null. */
    public static Dtype fromFileName(String name) {
        for (Dtype d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }

    /** Every header name, for error messages. */
    public static String allNames() {
        StringBuilder sb = new StringBuilder();
        for (Dtype d : values()) {
            if (!sb.isEmpty()) {
                sb.append(' ');
            }
            sb.append(d.name());
        }
        return sb.toString();
    }
}
