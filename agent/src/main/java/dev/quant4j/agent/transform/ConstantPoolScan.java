package dev.quant4j.agent.transform;

/**
 * The first, cheap look at every class the JVM loads: one pass over the constant pool that only compares
 * UTF-8 entries against a few fixed byte strings, with no allocation. A class whose constant pool has no
 * {@code [F} or {@code [[F} string cannot read or write a {@code float[]} or {@code float[][]} field (a field
 * reference names its type through exactly such an entry), so it is left alone without being parsed.
 */
final class ConstantPoolScan {
    static final int TOUCHES_FLOAT_ARRAYS = 1;
    static final int HAS_QUANTIZE_ANNOTATION = 2;
    /** Names {@code java/lang/Cloneable}: the class may call {@code super.clone()} for a subclass with quantized fields. */
    static final int CLONEABLE = 4;

    private static final byte[] FLOAT_ARRAY = {'[', 'F'};
    private static final byte[] CLONEABLE_NAME =
            "java/lang/Cloneable".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] FLOAT_MATRIX = {'[', '[', 'F'};
    static final String QUANTIZE_DESCRIPTOR = "Ldev/quant4j/annotations/Quantize;";
    private static final byte[] QUANTIZE = QUANTIZE_DESCRIPTOR.getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private ConstantPoolScan() {}

    /**
     * Flags {@link #TOUCHES_FLOAT_ARRAYS}, {@link #HAS_QUANTIZE_ANNOTATION} and {@link #CLONEABLE} for a class file.
     *
     * @throws IllegalArgumentException if the bytes are not a class file this scan understands
     */
    static int scan(byte[] b) {
        if (b.length < 10
                || (b[0] & 0xff) != 0xCA
                || (b[1] & 0xff) != 0xFE
                || (b[2] & 0xff) != 0xBA
                || (b[3] & 0xff) != 0xBE) {
            throw new IllegalArgumentException("not a class file (bad magic number)");
        }
        int count = u2(b, 8);
        int p = 10;
        int flags = 0;
        for (int i = 1; i < count; i++) {
            int tag = b[p] & 0xff;
            switch (tag) {
                case 1 -> {
                    int len = u2(b, p + 1);
                    int start = p + 3;
                    if (len == 2 && equalsAt(b, start, FLOAT_ARRAY) || len == 3 && equalsAt(b, start, FLOAT_MATRIX)) {
                        flags |= TOUCHES_FLOAT_ARRAYS;
                    } else if (len == QUANTIZE.length && equalsAt(b, start, QUANTIZE)) {
                        flags |= HAS_QUANTIZE_ANNOTATION;
                    } else if (len == CLONEABLE_NAME.length && equalsAt(b, start, CLONEABLE_NAME)) {
                        flags |= CLONEABLE;
                    }
                    p = start + len;
                }
                case 3, 4, 9, 10, 11, 12, 17, 18 -> p += 5;
                case 5, 6 -> {
                    p += 9;
                    i++;
                }
                case 7, 8, 16, 19, 20 -> p += 3;
                case 15 -> p += 4;
                default ->
                    throw new IllegalArgumentException(
                            "unknown constant pool tag " + tag + " at entry " + i + " (byte offset " + p + ")");
            }
        }
        return flags;
    }

    private static int u2(byte[] b, int p) {
        return ((b[p] & 0xff) << 8) | (b[p + 1] & 0xff);
    }

    private static boolean equalsAt(byte[] b, int start, byte[] s) {
        for (int i = 0; i < s.length; i++) {
            if (b[start + i] != s[i]) {
                return false;
            }
        }
        return true;
    }
}
