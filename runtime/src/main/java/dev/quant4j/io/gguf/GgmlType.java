package dev.quant4j.io.gguf;

/**
 * ggml's tensor types as GGUF files name them by id: the block geometry of each (elements per block,
 * bytes per block; ggml's {@code type_traits}), and what this library can do with it. The geometry of
 * every known type is here, even of those quant4j cannot decode, so that the GGUF reader can check any
 * file's sizes and offsets; {@link #readable()} says which ones it can turn into numbers.
 */
public enum GgmlType {
    F32(0, 1, 4, true),
    F16(1, 1, 2, true),
    Q4_0(2, 32, 18, true),
    Q4_1(3, 32, 20, true),
    Q5_0(6, 32, 22, true),
    Q5_1(7, 32, 24, false),
    Q8_0(8, 32, 34, true),
    Q8_1(9, 32, 36, false),
    Q2_K(10, 256, 84, false),
    Q3_K(11, 256, 110, false),
    Q4_K(12, 256, 144, true),
    Q5_K(13, 256, 176, true),
    Q6_K(14, 256, 210, true),
    Q8_K(15, 256, 292, true),
    IQ2_XXS(16, 256, 66, false),
    IQ2_XS(17, 256, 74, false),
    IQ3_XXS(18, 256, 98, false),
    IQ1_S(19, 256, 50, false),
    IQ4_NL(20, 32, 18, false),
    IQ3_S(21, 256, 110, false),
    IQ2_S(22, 256, 82, false),
    IQ4_XS(23, 256, 136, false),
    I8(24, 1, 1, false),
    I16(25, 1, 2, false),
    I32(26, 1, 4, false),
    I64(27, 1, 8, false),
    F64(28, 1, 8, false),
    IQ1_M(29, 256, 56, false),
    BF16(30, 1, 2, true),
    TQ1_0(34, 256, 54, false),
    TQ2_0(35, 256, 66, false),
    MXFP4(39, 32, 17, true);

    private static final GgmlType[] BY_ID = new GgmlType[64];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final int blockSize;
    private final int typeSize;
    private final boolean readable;

    GgmlType(int id, int blockSize, int typeSize, boolean readable) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
        this.readable = readable;
    }

    /** The type's id in a GGUF tensor info. */
    public int id() {
        return id;
    }

    /** Elements per block (1 for the plain types); a row's length {@code ne[0]} must be a multiple. */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int typeSize() {
        return typeSize;
    }

    /** True when quant4j can dequantize this type to float32. */
    public boolean readable() {
        return readable;
    }

    /** True for a block type (anything but the plain float and integer types). */
    public boolean isQuantized() {
        return blockSize > 1;
    }

    /** The type's name as ggml prints it: {@code q4_0}, {@code f16}, {@code mxfp4}. */
    public String ggmlName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The type with this id, or null when ggml has none (or quant4j does not know it). */
    public static GgmlType byId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }

    /**
     * Bytes of {@code elements} elements (a multiple of the block size), or -1 on overflow.
     */
    public long byteSize(long elements) {
        long blocks = elements / blockSize;
        return blocks > Long.MAX_VALUE / typeSize ? -1 : blocks * typeSize;
    }
}
