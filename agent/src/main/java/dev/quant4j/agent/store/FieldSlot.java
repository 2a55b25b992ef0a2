package dev.quant4j.agent.store;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One field key ({@code "binary.class.Name#field"}) and the quantized data of every owner that has it.
 * Reads are lock-free; changes (store, write, expunge) take the slot's lock.
 */
final class FieldSlot {
    private final String key;
    private final Class<?> declaringClass;
    private final boolean rows;
    /** For checking that the field holds null when its quantized form is stored; null where reflection is denied. */
    private final Field field;

    private final ConcurrentHashMap<Object, Entry> entries = new ConcurrentHashMap<>();
    /**
     * The entry found last: a model usually has one owner per field, so this spares the map lookup. Plain, not
     * volatile: readers that alternate between owners would otherwise pay a fenced write per read. A stale value
     * is harmless: it is checked against the owner and the dropped flag (volatile) before use, and removals,
     * which happen under the slot's lock, clear it.
     */
    private Entry last;

    private FieldSlot(String key, Class<?> declaringClass, boolean rows, Field field) {
        this.key = key;
        this.declaringClass = declaringClass;
        this.rows = rows;
        this.field = field;
    }

    /**
     * Resolves the key against the owner's class hierarchy.
     *
     * @throws IllegalArgumentException naming the key and what is wrong with it
     */
    static FieldSlot resolve(String key, Object owner) {
        int hash = key.indexOf('#');
        if (hash <= 0 || hash == key.length() - 1 || key.indexOf('#', hash + 1) >= 0) {
            throw new IllegalArgumentException("field key '" + key + "' is not of the form binary.class.Name#field");
        }
        String className = key.substring(0, hash);
        String fieldName = key.substring(hash + 1);
        Class<?> declaring = null;
        for (Class<?> c = owner.getClass(); c != null; c = c.getSuperclass()) {
            if (c.getName().equals(className)) {
                declaring = c;
                break;
            }
        }
        if (declaring == null) {
            throw new IllegalArgumentException("field key '" + key + "': the owner is a "
                    + owner.getClass().getName() + ", which is not a " + className
                    + "; the key must name the class that declares the field");
        }
        Field f;
        try {
            f = declaring.getDeclaredField(fieldName);
        } catch (NoSuchFieldException e) {
            throw new IllegalArgumentException(
                    "field key '" + key + "': " + className + " declares no field '" + fieldName + "'");
        }
        if (Modifier.isStatic(f.getModifiers())) {
            throw new IllegalArgumentException(
                    "field key '" + key + "' names a static field; only instance fields " + "are kept quantized");
        }
        boolean rows;
        if (f.getType() == float[].class) {
            rows = false;
        } else if (f.getType() == float[][].class) {
            rows = true;
        } else {
            throw new IllegalArgumentException("field key '" + key + "' names a field of type "
                    + f.getType().getTypeName() + "; only float[] and float[][] fields are kept quantized");
        }
        Field readable = f;
        try {
            f.setAccessible(true);
        } catch (RuntimeException e) {
            // A named module that does not open the package: skip the null check rather than fail.
            readable = null;
        }
        return new FieldSlot(key, declaring, rows, readable);
    }

    String key() {
        return key;
    }

    boolean rows() {
        return rows;
    }

    boolean accepts(Object owner) {
        return declaringClass.isInstance(owner);
    }

    /** The field's current value, or null when it cannot be read (the check is then skipped). */
    Object currentValue(Object owner) {
        if (field == null) {
            return null;
        }
        try {
            return field.get(owner);
        } catch (IllegalAccessException e) {
            return null;
        }
    }

    Entry find(Object owner) {
        Entry e = last;
        if (e != null && e.get() == owner && !e.dropped) {
            return e;
        }
        e = entries.get(new Entry.Lookup(owner));
        if (e != null) {
            last = e;
        }
        return e;
    }

    /** Puts a new entry for its owner; returns the one it replaces (already marked dropped), or null. */
    synchronized Entry replace(Object owner, Entry entry) {
        Entry old = removeLocked(owner);
        entries.put(entry, entry);
        last = entry;
        return old;
    }

    /**
     * For a reader that read null from the field and then found no entry lock-free: the owner's entry, or when there
     * is none the field's value now, both looked at under the lock. A publication holds the lock from its entry to
     * the field's null, and a write drops the entry under it after storing the field, so under the lock "no entry"
     * means the field's value is the answer: a written array, or null for weights that were cleared.
     */
    synchronized Object entryOrValue(Object owner) {
        Entry e = entries.get(new Entry.Lookup(owner));
        return e != null ? e : currentValue(owner);
    }

    /** Runs a publication under the lock (see {@link #entryOrValue}); the clear's own write hook re-enters it. */
    synchronized void publish(Runnable publication) {
        publication.run();
    }

    /**
     * Removes the owner's entry (marked dropped) for a write of the field; null when there was none. An entry that
     * {@code publisher} is publishing stays: its write of null is the clear that completes the publication.
     */
    synchronized Entry remove(Object owner, Thread publisher) {
        Entry current = entries.get(new Entry.Lookup(owner));
        if (current != null && publisher != null && current.publisher == publisher) {
            return null;
        }
        return removeLocked(owner);
    }

    /** Removes the owner's entry only if it is still {@code e}; returns it (marked dropped), else null. */
    synchronized Entry removeIfCurrent(Object owner, Entry e) {
        return entries.get(new Entry.Lookup(owner)) == e ? removeLocked(owner) : null;
    }

    private Entry removeLocked(Object owner) {
        Entry old = entries.remove(new Entry.Lookup(owner));
        if (old != null) {
            old.dropped = true;
            if (last == old) {
                last = null;
            }
        }
        return old;
    }

    /** Removes an entry whose owner was collected. */
    synchronized boolean expunge(Entry e) {
        e.dropped = true;
        if (last == e) {
            last = null;
        }
        return entries.remove(e) != null;
    }

    Iterable<Entry> entries() {
        return entries.values();
    }

    int size() {
        return entries.size();
    }
}
