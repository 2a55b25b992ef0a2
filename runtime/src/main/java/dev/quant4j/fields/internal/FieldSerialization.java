package dev.quant4j.fields.internal;

import java.io.IOException;
import java.io.InvalidClassException;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.ObjectStreamField;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

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
    /** {@code PutField.put(String, t)} for each primitive type {@code t}; the call unboxes the field's value. */
    private static final ClassValue<MethodHandle> PUT_PRIMITIVE = new ClassValue<>() {
        @Override
        protected MethodHandle computeValue(Class<?> t) {
            try {
                return MethodHandles.publicLookup()
                        .findVirtual(
                                ObjectOutputStream.PutField.class,
                                "put",
                                MethodType.methodType(void.class, String.class, t));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("no PutField.put for " + t, e);
            }
        }
    };

    private FieldSerialization() {}

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
                value = FieldHooks.read(owner, null, type.getName() + "#" + f.getName());
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
        } else if (value != null) { // null: a serialPersistentFields entry without a field, left at its default
            try {
                PUT_PRIMITIVE.get(t).invoke(put, name, value);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException("PutField.put(String, " + t + ") failed for field " + name, e);
            }
        }
    }
}
