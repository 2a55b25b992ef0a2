package dev.quant4j.model;

import dev.quant4j.fields.QuantizedFields;
import dev.quant4j.fields.internal.FieldHooks;
import dev.quant4j.fields.internal.FieldStore;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import dev.quant4j.tensor.Shapes;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One weight field of one model object, as a generated visitor reports it: its path, its scheme (null
 * when the field is part of the state but not annotated {@code @Quantize}), and access to its current
 * value. The generated code passes getter and setter lambdas, so nothing here uses reflection.
 *
 * <p>A field holds floats, quantized data, or nothing ({@link #isPresent()} false: a null field). Plain
 * array fields keep their quantized form in the agent's {@link dev.quant4j.fields.internal.FieldStore} while the
 * field itself holds null; {@link QuantizableTensor} fields hold it themselves.
 */
public abstract sealed class WeightField {

    /** What the field is declared as. */
    public enum Kind {
        /** {@code float[]}: a vector, or a row-major tensor shaped by {@code @Dims}; needs the agent. */
        FLOAT_ARRAY,
        /** {@code float[][]}: a matrix of rows; needs the agent. */
        FLOAT_ROWS,
        /** {@link QuantizableTensor}: holds its own quantized data. */
        TENSOR
    }

    private final String path;
    private final QuantScheme scheme;
    private final Kind kind;
    /** Reads the field itself (for {@link #holdsNonNull}); each kind keeps its typed getter too. */
    private final Supplier<?> field;

    private WeightField(String path, QuantScheme scheme, Kind kind, Supplier<?> field) {
        this.path = Objects.requireNonNull(path, "path");
        this.scheme = scheme;
        this.kind = kind;
        this.field = Objects.requireNonNull(field, "getter");
    }

    /**
     * A {@code float[]} field (generated code calls this).
     *
     * @param path     the field's path, e.g. {@code blocks[3].attention.wq}
     * @param scheme   the annotated scheme, or null for a state field that is not quantized
     * @param owner    the object that declares the field
     * @param fieldKey {@code "binary.class.Name#field"}, the key of the agent's field store
     * @param dims     the shape from {@code @Dims}, read from the owner now; null for a vector
     * @param getter   reads the field
     * @param setter   writes the field
     */
    public static WeightField floatArray(
            String path,
            QuantScheme scheme,
            Object owner,
            String fieldKey,
            int[] dims,
            Supplier<float[]> getter,
            Consumer<float[]> setter) {
        return new ArrayField(path, scheme, owner, fieldKey, dims, getter, setter);
    }

    /** A {@code float[][]} field of rows (generated code calls this); see {@link #floatArray}. */
    public static WeightField floatRows(
            String path,
            QuantScheme scheme,
            Object owner,
            String fieldKey,
            Supplier<float[][]> getter,
            Consumer<float[][]> setter) {
        return new RowsField(path, scheme, owner, fieldKey, getter, setter);
    }

    /** A {@link QuantizableTensor} field (generated code calls this); see {@link #floatArray}. */
    public static WeightField tensor(
            String path, QuantScheme scheme, Supplier<QuantizableTensor> getter, Consumer<QuantizableTensor> setter) {
        return new TensorField(path, scheme, getter, setter);
    }

    /** The field's path, e.g. {@code blocks[3].attention.wq}: the name it has in reports and exported state. */
    public final String path() {
        return path;
    }

    /** The scheme from {@code @Quantize} (with class defaults applied), or null for an unannotated field. */
    public final QuantScheme scheme() {
        return scheme;
    }

    /** True for {@code @Quantize} fields; other fields are state that is exported but never quantized. */
    public final boolean isQuantizable() {
        return scheme != null;
    }

    /** What the field is declared as. */
    public final Kind kind() {
        return kind;
    }

    /** True for plain array fields, whose quantized form needs the Java agent. */
    public final boolean needsAgent() {
        return kind() != Kind.TENSOR;
    }

    /** True when the field holds quantized data. */
    public abstract boolean isQuantized();

    /** The quantized data, or null when the field holds floats or nothing. */
    public abstract QuantizedTensor quantized();

    /**
     * The float values, or null when the field holds quantized data or nothing. Plain {@code float[]} and
     * holder fields share their array; a {@code float[][]} field is copied into one row-major array.
     *
     * @throws IllegalStateException naming the path if the array does not fit its shape (a ragged
     *                               {@code float[][]}, or a {@code float[]} whose {@code @Dims} disagree)
     */
    public abstract FloatTensor floats();

    /** True when the field holds floats or quantized data (false for a null field). */
    public final boolean isPresent() {
        return isQuantized() || holdsNonNull();
    }

    /** True when the field itself is not null (cheap: no copying, no shape checks). */
    final boolean holdsNonNull() {
        return field.get() != null;
    }

    /** The current value: a {@link QuantizedTensor}, a {@link FloatTensor}, or null when the field is null. */
    public final Object value() {
        QuantizedTensor q = quantized();
        return q != null ? q : floats();
    }

    /** The current shape, or null when the field is null. */
    public final int[] shape() {
        QuantizedTensor q = quantized();
        if (q != null) {
            return q.shape();
        }
        FloatTensor f = floats();
        return f == null ? null : f.shape();
    }

    /** Bytes the current value takes (floats at 4 bytes each, or codes plus scales); 0 when null. */
    public final long byteSize() {
        QuantizedTensor q = quantized();
        if (q != null) {
            return q.byteSize();
        }
        FloatTensor f = floats();
        return f == null ? 0 : f.byteSize();
    }

    /**
     * The shape a value imported into this field must have, or null when any shape of the right rank
     * fits: the {@code @Dims} shape, else the shape of the value the field holds now.
     */
    abstract int[] expectedShape();

    /** The rank a value of this field must have, or -1 for any. */
    abstract int requiredRank();

    /** Replaces the field's value with quantized data. */
    abstract void putQuantized(QuantizedTensor q);

    /** Replaces the field's value with these floats (shared for {@code float[]} and holder fields). */
    abstract void putFloats(FloatTensor t);

    /** Writes {@code values} over the floats the field holds now, keeping the same arrays where it can. */
    abstract void overwrite(float[] values);

    /**
     * Writes {@code values} (row-major, as {@link #floats()} gives them) over the floats the field holds now:
     * what {@link Quantization#simulate} does to every field, for one field (e.g. to measure the model with only
     * this field quantized, then write its original values back).
     *
     * @throws IllegalStateException    naming the field when it holds no floats (null, or quantized)
     * @throws IllegalArgumentException naming the field when {@code values} has another length
     */
    public final void overwriteFloats(float[] values) {
        Objects.requireNonNull(values, "values");
        FloatTensor now = isQuantized() ? null : floats();
        if (now == null) {
            throw new IllegalStateException("field '" + path + "' holds no floats to overwrite ("
                    + (isQuantized() ? "it is quantized; dequantize the model first" : "it is null") + ")");
        }
        if (now.size() != values.length) {
            throw new IllegalArgumentException("field '" + path + "' holds " + now.size() + " floats but "
                    + values.length + " were given; give one value per element of shape "
                    + Arrays.toString(now.shape()));
        }
        overwrite(values);
    }

    @Override
    public String toString() {
        return path + " (" + kind() + ", " + (scheme == null ? "not quantized" : scheme.toString()) + ")";
    }

    /** Plain array fields share the agent bridge: quantized data lives in the field store. */
    private abstract static sealed class PlainField extends WeightField {
        final Object owner;
        final String fieldKey;

        PlainField(String path, QuantScheme scheme, Kind kind, Supplier<?> field, Object owner, String fieldKey) {
            super(path, scheme, kind, field);
            this.owner = Objects.requireNonNull(owner, "owner");
            this.fieldKey = Objects.requireNonNull(fieldKey, "fieldKey");
        }

        @Override
        public final QuantizedTensor quantized() {
            return QuantizedFields.quantized(owner, fieldKey);
        }

        @Override
        public final boolean isQuantized() {
            return quantized() != null;
        }

        @Override
        final void putQuantized(QuantizedTensor q) {
            // The store is found first, so a missing agent throws before the field's floats are released. It
            // publishes q before it clears the field, so a concurrent reader gets the floats or q, never null.
            FieldStore store = FieldHooks.requireStore(path());
            store.replaceWithQuantized(owner, fieldKey, q, this::setNull);
        }

        abstract void setNull();

        /**
         * True when no quantized data is held. The raw field is read only then: through the agent, a read of
         * a quantized field would dequantize it, which is never what the callers here want.
         */
        final boolean holdsFloats() {
            return !isQuantized();
        }
    }

    static final class ArrayField extends PlainField {
        private final int[] dims;
        private final Supplier<float[]> getter;
        private final Consumer<float[]> setter;

        ArrayField(
                String path,
                QuantScheme scheme,
                Object owner,
                String fieldKey,
                int[] dims,
                Supplier<float[]> getter,
                Consumer<float[]> setter) {
            super(path, scheme, Kind.FLOAT_ARRAY, getter, owner, fieldKey);
            this.dims = dims == null ? null : dims.clone();
            this.getter = getter;
            this.setter = Objects.requireNonNull(setter, "setter");
        }

        @Override
        public FloatTensor floats() {
            if (!holdsFloats()) {
                return null;
            }
            float[] a = getter.get();
            if (a == null) {
                return null;
            }
            if (dims == null) {
                return FloatTensor.vector(a);
            }
            checkDims(a.length);
            return FloatTensor.of(a, dims);
        }

        private void checkDims(int length) {
            long n = 1;
            boolean negative = false;
            for (int d : dims) {
                negative |= d < 0;
                // Saturate: any count past int range cannot match an array's length anyway.
                n = Math.min(n * Math.max(d, 0), Integer.MAX_VALUE + 1L);
            }
            if (negative || n != length) {
                throw new IllegalStateException("field '" + path() + "' holds " + length + " floats but its @Dims give "
                        + Arrays.toString(dims) + (negative ? " (a negative dimension)" : " = " + n + " elements")
                        + "; set the dimension fields to the array's real shape before quantizing or saving");
            }
        }

        @Override
        int[] expectedShape() {
            if (dims != null) {
                return dims.clone();
            }
            float[] a = holdsFloats() ? getter.get() : null;
            if (a != null) {
                return new int[] {a.length};
            }
            QuantizedTensor q = quantized();
            return q == null ? null : q.shape();
        }

        @Override
        int requiredRank() {
            return dims == null ? 1 : dims.length;
        }

        @Override
        void setNull() {
            setter.accept(null);
        }

        @Override
        void putFloats(FloatTensor t) {
            // The floats first, then the quantized data is dropped: a concurrent reader never finds neither. The
            // explicit hook covers a class the agent did not rewrite; after a rewritten write it finds nothing to drop.
            setter.accept(t.data());
            FieldHooks.write(owner, t.data(), fieldKey);
        }

        @Override
        void overwrite(float[] values) {
            float[] a = getter.get();
            System.arraycopy(values, 0, a, 0, values.length);
        }
    }

    static final class RowsField extends PlainField {
        private final Supplier<float[][]> getter;
        private final Consumer<float[][]> setter;

        RowsField(
                String path,
                QuantScheme scheme,
                Object owner,
                String fieldKey,
                Supplier<float[][]> getter,
                Consumer<float[][]> setter) {
            super(path, scheme, Kind.FLOAT_ROWS, getter, owner, fieldKey);
            this.getter = getter;
            this.setter = Objects.requireNonNull(setter, "setter");
        }

        /** The rows when they form a rectangle; null when the field is null or quantized. */
        private float[][] rectangularRows() {
            if (!holdsFloats()) {
                return null;
            }
            float[][] rows = getter.get();
            if (rows == null) {
                return null;
            }
            for (int r = 0; r < rows.length; r++) {
                if (rows[r] == null) {
                    throw new IllegalStateException("field '" + path() + "' (float[][]) has a null row " + r
                            + "; every row must be an array of the same length");
                }
                if (rows[r].length != rows[0].length) {
                    throw new IllegalStateException("field '" + path() + "' (float[][]) is not rectangular: row " + r
                            + " has " + rows[r].length + " floats but row 0 has " + rows[0].length
                            + "; give every row the same length");
                }
            }
            return rows;
        }

        @Override
        public FloatTensor floats() {
            float[][] rows = rectangularRows();
            if (rows == null) {
                return null;
            }
            int cols = rows.length == 0 ? 0 : rows[0].length;
            long n = (long) rows.length * cols;
            if (n > Shapes.MAX_ARRAY_LENGTH) {
                throw new IllegalStateException("field '" + path() + "' has " + n + " floats; at most "
                        + (Shapes.MAX_ARRAY_LENGTH) + " fit in one tensor");
            }
            float[] flat = new float[(int) n];
            for (int r = 0; r < rows.length; r++) {
                System.arraycopy(rows[r], 0, flat, r * cols, cols);
            }
            return FloatTensor.of(flat, rows.length, cols);
        }

        @Override
        int[] expectedShape() {
            float[][] rows = rectangularRows();
            if (rows != null) {
                return new int[] {rows.length, rows.length == 0 ? 0 : rows[0].length};
            }
            QuantizedTensor q = quantized();
            return q == null ? null : q.shape();
        }

        @Override
        int requiredRank() {
            return 2;
        }

        @Override
        void setNull() {
            setter.accept(null);
        }

        @Override
        void putFloats(FloatTensor t) {
            int rowsCount = t.dim(0);
            int cols = t.dim(1);
            float[][] rows = new float[rowsCount][];
            for (int r = 0; r < rowsCount; r++) {
                rows[r] = Arrays.copyOfRange(t.data(), r * cols, (r + 1) * cols);
            }
            setter.accept(rows);
            FieldHooks.write(owner, rows, fieldKey);
        }

        @Override
        void overwrite(float[] values) {
            float[][] rows = getter.get();
            int cols = rows.length == 0 ? 0 : rows[0].length;
            for (int r = 0; r < rows.length; r++) {
                System.arraycopy(values, r * cols, rows[r], 0, cols);
            }
        }
    }

    static final class TensorField extends WeightField {
        private final Supplier<QuantizableTensor> getter;
        private final Consumer<QuantizableTensor> setter;

        TensorField(
                String path,
                QuantScheme scheme,
                Supplier<QuantizableTensor> getter,
                Consumer<QuantizableTensor> setter) {
            super(path, scheme, Kind.TENSOR, getter);
            this.getter = getter;
            this.setter = Objects.requireNonNull(setter, "setter");
        }

        @Override
        public boolean isQuantized() {
            QuantizableTensor t = getter.get();
            return t != null && t.isQuantized();
        }

        @Override
        public QuantizedTensor quantized() {
            QuantizableTensor t = getter.get();
            return t == null ? null : t.quantized();
        }

        @Override
        public FloatTensor floats() {
            QuantizableTensor t = getter.get();
            return t == null ? null : t.floats();
        }

        @Override
        int[] expectedShape() {
            QuantizableTensor t = getter.get();
            return t == null ? null : t.shape();
        }

        @Override
        int requiredRank() {
            return -1;
        }

        @Override
        void putQuantized(QuantizedTensor q) {
            setter.accept(QuantizableTensor.of(q));
        }

        @Override
        void putFloats(FloatTensor t) {
            setter.accept(QuantizableTensor.of(t));
        }

        @Override
        void overwrite(float[] values) {
            QuantizableTensor t = getter.get();
            setter.accept(QuantizableTensor.of(values, t.shape()));
        }
    }
}
