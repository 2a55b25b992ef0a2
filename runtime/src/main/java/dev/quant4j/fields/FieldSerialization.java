package dev.quant4j.fields;

import java.io.IOException;
import java.io.InvalidClassException;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.ObjectStreamField;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;

/**
 * Default serialization of one class's fields, except that a quantized field is written with its dequantized
 * values instead of the null the field itself holds. Java serialization reads fields directly, past the agent's
 * rewritten reads; the agent gives classes with {@code @Quantize} fields a {@code writeObject} that comes here.
 *
 * <p>The fields are read through the class's own lookup and written through {@link ObjectOutputStream#putFields},
 * so the object is never changed and the stream is exactly what default serialization writes for those values: a
 * JVM without the agent reads it back as a plain float array field.
 */
final class FieldSerialization {
    private FieldSerialization() {
    }

    static void writeFields(Object owner, ObjectOutputStream out, MethodHandles.Lookup lookup) throws IOException {
        Class<?> type = lookup.lookupClass();
        ObjectStreamClass description = ObjectStreamClass.lookup(type);
        if (description == null) {
            throw new InvalidClassException(type.getName(), "not serializable");
        }
        ObjectOutputStream.PutField put = out.putFields();
        for (ObjectStreamField f : description.getFields()) {
            Object value = read(owner, lookup, type, f);
            if (value == null && (f.getType() == float[].class || f.getType() == float[][].class)) {
                value = QuantizedFields.read(owner, null, type.getName() + "#" + f.getName());
            }
            put(put, f, value);
        }
        out.writeFields();
    }

    /** The field's value (boxed), or null for a serialPersistentFields entry with no field behind it (as default). */
    private static Object read(Object owner, MethodHandles.Lookup lookup, Class<?> type, ObjectStreamField f)
            throws IOException {
        MethodHandle getter;
        try {
            getter = lookup.findGetter(type, f.getName(), f.getType());
        } catch (NoSuchFieldException e) {
            return null;
        } catch (IllegalAccessException e) {
            throw new InvalidClassException(type.getName(), "cannot read field " + f.getName() + ": " + e.getMessage());
        }
        try {
            return getter.invoke(owner);
        } catch (Throwable t) {
            throw new IOException("reading field " + type.getName() + "." + f.getName() + " to serialize it failed", t);
        }
    }

    private static void put(ObjectOutputStream.PutField put, ObjectStreamField f, Object value) {
        String name = f.getName();
        Class<?> t = f.getType();
        if (!t.isPrimitive()) {
            put.put(name, value);
        } else if (value == null) {
            return; // a serialPersistentFields entry without a field: the default value, as default serialization
        } else if (t == int.class) {
            put.put(name, (int) (Integer) value);
        } else if (t == long.class) {
            put.put(name, (long) (Long) value);
        } else if (t == float.class) {
            put.put(name, (float) (Float) value);
        } else if (t == double.class) {
            put.put(name, (double) (Double) value);
        } else if (t == boolean.class) {
            put.put(name, (boolean) (Boolean) value);
        } else if (t == byte.class) {
            put.put(name, (byte) (Byte) value);
        } else if (t == short.class) {
            put.put(name, (short) (Short) value);
        } else if (t == char.class) {
            put.put(name, (char) (Character) value);
        }
    }
}
