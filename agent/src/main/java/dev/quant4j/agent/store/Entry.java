package dev.quant4j.agent.store;

import dev.quant4j.tensor.QuantizedTensor;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.SoftReference;
import java.lang.ref.WeakReference;

/**
 * The quantized data of one field of one owner. It refers to the owner weakly (it is the owner's weak
 * reference), so holding quantized weights never keeps a model alive; it is also its own key in the slot's
 * map (identity of the owner, not its equals/hashCode, which a model class may define over its weights).
 */
final class Entry extends WeakReference<Object> {
    private static final VarHandle HANDED_OUT = varHandle(MethodHandles.lookup(), "handedOut", WeakReference.class);

    /** The handle of field {@code name} of the lookup's class, for a static initializer (which it fails otherwise). */
    static VarHandle varHandle(MethodHandles.Lookup lookup, String name, Class<?> type) {
        try {
            return lookup.findVarHandle(lookup.lookupClass(), name, type);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final int hash;
    final FieldSlot slot;
    final QuantizedTensor q;
    /** Heap bytes of the dequantized value (array headers included), for the budget. */
    final long arrayBytes;

    final String ownerClass;

    /** BUDGET: the cached dequantized value, published fully filled (volatile write after the fill). */
    volatile Object cached;
    /** SOFT: the cached dequantized value. */
    volatile SoftReference<Object> soft;
    /** BUDGET: the clock tick of the last read (plain: racing readers store ticks of the same order of age). */
    long lastUse;
    /**
     * The thread publishing this entry while it clears the field (replaceWithQuantized), else null: that thread's
     * write of null is the clear, not a write that drops the data. Plain: only the publishing thread can match itself.
     */
    Thread publisher;
    /** Set (before removal) once the entry no longer belongs to the field: a write, a new store, or the owner died. */
    volatile boolean dropped;
    /** Check mode: the array last handed to the application, to compare when the store lets go of it. */
    @SuppressWarnings("unused")
    private volatile WeakReference<Object> handedOut;

    Entry(Object owner, ReferenceQueue<Object> queue, FieldSlot slot, QuantizedTensor q) {
        super(owner, queue);
        this.hash = System.identityHashCode(owner);
        this.slot = slot;
        this.q = q;
        this.arrayBytes = slot.rows() ? rowsBytes(q) : flatBytes(q.size());
        this.ownerClass = owner.getClass().getName();
    }

    static long flatBytes(long n) {
        return 16 + 4 * n;
    }

    private static long rowsBytes(QuantizedTensor q) {
        int[] shape = q.shape();
        long rows = shape[0];
        long cols = shape[1];
        return 16 + 4 * rows + rows * flatBytes(cols);
    }

    /** Check mode: remembers the array just handed out; returns the one handed out before, if still reachable. */
    Object swapHandedOut(Object array) {
        @SuppressWarnings("unchecked")
        WeakReference<Object> previous =
                (WeakReference<Object>) HANDED_OUT.getAndSet(this, array == null ? null : new WeakReference<>(array));
        return previous == null ? null : previous.get();
    }

    /** "pkg.Model@1a2b3c" for reports; the owner may be gone by then. */
    String ownerDescription() {
        return ownerClass + "@" + Integer.toHexString(hash);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public boolean equals(Object o) {
        return o == this;
    }

    /** The key for looking up an owner's entry without allocating a weak reference. */
    static final class Lookup {
        private final Object owner;
        private final int hash;

        Lookup(Object owner) {
            this.owner = owner;
            this.hash = System.identityHashCode(owner);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e && e.get() == owner;
        }
    }
}
