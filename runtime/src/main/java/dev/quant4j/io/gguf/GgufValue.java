package dev.quant4j.io.gguf;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One GGUF metadata value with its exact type (llama.cpp checks types strictly: a count written as
 * UINT64 where it expects UINT32 is an error there). Integers of every width are held as a {@code long}
 * in the type's range, FLOAT32 as {@code Float}, FLOAT64 as {@code Double}, BOOL as {@code Boolean},
 * STRING as {@code String}; an ARRAY holds a {@code long[]}, {@code float[]}, {@code double[]},
 * {@code boolean[]} or {@code String[]} of its element type (arrays of arrays are not allowed: ggml's
 * reader rejects them).
 */
public record GgufValue(Type type, Type elementType, Object value) {
    /** GGUF value types, by their id in the file. */
    public enum Type {
        UINT8(1),
        INT8(1),
        UINT16(2),
        INT16(2),
        UINT32(4),
        INT32(4),
        FLOAT32(4),
        BOOL(1),
        STRING(8),
        ARRAY(-1),
        UINT64(8),
        INT64(8),
        FLOAT64(8);

        /** Bytes of one value in the file; for STRING the length prefix only (its least size). */
        final int size;

        Type(int size) {
            this.size = size;
        }

        /** The id in the file (the ordinal: the file's ids are 0..12 in this order). */
        public int id() {
            return ordinal();
        }

        static Type byId(long id) {
            return id >= 0 && id < values().length ? values()[(int) id] : null;
        }

        boolean isInteger() {
            return this != FLOAT32 && this != FLOAT64 && this != BOOL && this != STRING && this != ARRAY;
        }

        /** The smallest and largest value of an integer type. */
        long min() {
            return switch (this) {
                case INT8 -> Byte.MIN_VALUE;
                case INT16 -> Short.MIN_VALUE;
                case INT32 -> Integer.MIN_VALUE;
                case INT64 -> Long.MIN_VALUE;
                default -> 0;
            };
        }

        long max() {
            return switch (this) {
                case UINT8 -> 0xFF;
                case INT8 -> Byte.MAX_VALUE;
                case UINT16 -> 0xFFFF;
                case INT16 -> Short.MAX_VALUE;
                case UINT32 -> 0xFFFF_FFFFL;
                case INT32 -> Integer.MAX_VALUE;
                default -> Long.MAX_VALUE; // UINT64 values above this are held as negative longs
            };
        }
    }

    public GgufValue {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
        if (type == Type.ARRAY) {
            Objects.requireNonNull(elementType, "elementType");
            if (elementType == Type.ARRAY) {
                throw new IllegalArgumentException("GGUF arrays of arrays are not allowed (ggml rejects them)");
            }
            boolean fits = switch (elementType) {
                case FLOAT32 -> value instanceof float[];
                case FLOAT64 -> value instanceof double[];
                case BOOL -> value instanceof boolean[];
                case STRING -> value instanceof String[];
                default -> value instanceof long[] longs && inRange(elementType, longs);
            };
            if (!fits) {
                throw new IllegalArgumentException("an ARRAY of " + elementType + " cannot hold a "
                        + value.getClass().getSimpleName());
            }
        } else {
            if (elementType != null) {
                throw new IllegalArgumentException("only an ARRAY has an element type");
            }
            boolean fits = switch (type) {
                case FLOAT32 -> value instanceof Float;
                case FLOAT64 -> value instanceof Double;
                case BOOL -> value instanceof Boolean;
                case STRING -> value instanceof String;
                default -> value instanceof Long l && inRange(type, new long[] {l});
            };
            if (!fits) {
                throw new IllegalArgumentException("a " + type + " value cannot be " + value + " ("
                        + value.getClass().getSimpleName() + ")");
            }
        }
    }

    private static boolean inRange(Type t, long[] values) {
        if (t == Type.UINT64 || t == Type.INT64) {
            return true;
        }
        for (long v : values) {
            if (v < t.min() || v > t.max()) {
                return false;
            }
        }
        return true;
    }

    public static GgufValue uint8(int v) {
        return new GgufValue(Type.UINT8, null, (long) v);
    }

    public static GgufValue uint16(int v) {
        return new GgufValue(Type.UINT16, null, (long) v);
    }

    public static GgufValue uint32(long v) {
        return new GgufValue(Type.UINT32, null, v);
    }

    public static GgufValue int32(int v) {
        return new GgufValue(Type.INT32, null, (long) v);
    }

    public static GgufValue uint64(long v) {
        return new GgufValue(Type.UINT64, null, v);
    }

    public static GgufValue int64(long v) {
        return new GgufValue(Type.INT64, null, v);
    }

    public static GgufValue float32(float v) {
        return new GgufValue(Type.FLOAT32, null, v);
    }

    public static GgufValue float64(double v) {
        return new GgufValue(Type.FLOAT64, null, v);
    }

    public static GgufValue bool(boolean v) {
        return new GgufValue(Type.BOOL, null, v);
    }

    public static GgufValue string(String v) {
        return new GgufValue(Type.STRING, null, v);
    }

    public static GgufValue strings(List<String> v) {
        return new GgufValue(Type.ARRAY, Type.STRING, v.toArray(String[]::new));
    }

    public static GgufValue float32s(float[] v) {
        return new GgufValue(Type.ARRAY, Type.FLOAT32, v.clone());
    }

    /** An array of integers of one type (INT32 for token types, UINT32, ...). */
    public static GgufValue integers(Type elementType, long[] v) {
        return new GgufValue(Type.ARRAY, elementType, v.clone());
    }

    /** Number of elements of an array; 1 for a single value. */
    public int count() {
        return switch (value) {
            case long[] a -> a.length;
            case float[] a -> a.length;
            case double[] a -> a.length;
            case boolean[] a -> a.length;
            case String[] a -> a.length;
            default -> 1;
        };
    }

    /** The value of an integer type. */
    public long asLong() {
        if (!type.isInteger()) {
            throw new IllegalStateException("a " + type + " value is not an integer");
        }
        return (Long) value;
    }

    /** The value of a STRING. */
    public String asString() {
        if (type != Type.STRING) {
            throw new IllegalStateException("a " + type + " value is not a string");
        }
        return (String) value;
    }

    /** The value as text for a terminal or a report (arrays shortened to their first elements). */
    public String describe() {
        String element = type == Type.ARRAY ? elementType.name() : null;
        return switch (value) {
            case String s -> '"' + s + '"';
            case String[] a -> "[" + element + " x " + a.length + "] " + preview(Arrays.asList(a));
            case long[] a ->
                "[" + element + " x " + a.length + "] "
                        + preview(Arrays.stream(a).boxed().toList());
            case float[] a -> "[" + element + " x " + a.length + "] " + preview(floats(a));
            case double[] a ->
                "[" + element + " x " + a.length + "] "
                        + preview(Arrays.stream(a).boxed().toList());
            case boolean[] a -> "[" + element + " x " + a.length + "]";
            case Long l when type == Type.UINT64 -> Long.toUnsignedString(l);
            default -> value.toString();
        };
    }

    private static List<Float> floats(float[] a) {
        Float[] boxed = new Float[Math.min(a.length, 4)];
        for (int i = 0; i < boxed.length; i++) {
            boxed[i] = a[i];
        }
        return Arrays.asList(boxed);
    }

    private static String preview(List<?> items) {
        List<?> head = items.subList(0, Math.min(4, items.size()));
        return head + (items.size() > head.size() ? " ..." : "");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufValue g
                && type == g.type
                && elementType == g.elementType
                && Arrays.deepEquals(new Object[] {value}, new Object[] {g.value});
    }

    @Override
    public int hashCode() {
        return type.hashCode() * 31 + Arrays.deepHashCode(new Object[] {value});
    }
}
