package dev.quant4j.agent.store;

import dev.quant4j.agent.AgentLog;
import dev.quant4j.agent.AgentOptions;
import dev.quant4j.agent.transform.TransformRecord;
import dev.quant4j.fields.internal.FieldStore;
import dev.quant4j.tensor.QuantizedTensor;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The agent's {@link FieldStore}: per field key a {@link FieldSlot}, per owner an {@link Entry} held through a
 * weak reference to the owner, and a cache policy for the dequantized arrays.
 *
 * <p>Why a weak identity map and not a field injected into the owner's class: injection only works for classes
 * the agent sees before they load and changes their shape (so no retransformation, and serialization forms move);
 * the map works for every owner, and its cost falls only on reads of fields that really are quantized: a read of
 * a field that holds an array returns at the first line ({@code raw != null}), and a cache hit is two hash
 * lookups at most, usually one plus a weak-reference check (see docs/AGENT.md for the measured figures).
 *
 * <p>Invariant: a non-null raw value is always the answer, with no lookup. Quantized data is held while the field
 * itself holds null ({@link #store} checks it, a write through the field drops the data), and for a moment before:
 * {@link #replaceWithQuantized} publishes the data, then clears the field.
 *
 * <p>Readers racing with a change get the old or the new weights, never null (docs/AGENT.md, "Threads"). Every
 * change keeps one of the two visible at each instant: a quantization publishes the entry (a volatile write), then a
 * release fence, then the field's null; a write stores the new value in the field, then drops the entry under the
 * slot's lock. A reader that reads null issues an acquire fence before it looks for the entry (pairing with the
 * release fence); when it finds none, it looks again under the slot's lock and re-reads the field, which then shows
 * the value a write has just stored, or null for weights that really were cleared.
 */
public final class AgentFieldStore implements FieldStore {
    private static final int MAX_REPORTS = 100;

    private final AgentOptions options;
    private final TransformRecord record;
    private final ArrayCache cache;
    private final boolean check;
    private final ConcurrentHashMap<String, FieldSlot> slots = new ConcurrentHashMap<>();
    private final ReferenceQueue<Object> collectedOwners = new ReferenceQueue<>();
    private final LongAdder dequantizations = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder uncacheable = new LongAdder();
    private final LongAdder modified = new LongAdder();
    private final List<String> reports = Collections.synchronizedList(new ArrayList<>());
    private final RepeatedDequantization repeats;
    private volatile boolean expungerStarted;
    private final AtomicBoolean unrewrittenAccessWarned = new AtomicBoolean();

    public AgentFieldStore(AgentOptions options, TransformRecord record) {
        this.options = Objects.requireNonNull(options, "options");
        this.record = record;
        this.check = options.check();
        this.repeats = new RepeatedDequantization(options.cacheText());
        this.cache = switch (options.cache()) {
            case NONE -> new ArrayCache.None(this);
            case SOFT -> new ArrayCache.Soft(this);
            case BUDGET -> new ArrayCache.Budget(this, options.budgetBytes());
        };
    }

    @Override
    public Object read(Object owner, Object raw, String fieldKey) {
        if (raw != null || owner == null) {
            return raw;
        }
        // Pairs with the release fence in replaceWithQuantized: having read the null it wrote, this thread sees the
        // entry published before it. A no-op instruction on x86 and ARM's acquire-load ordering elsewhere.
        VarHandle.acquireFence();
        FieldSlot slot = slots.get(fieldKey);
        if (slot == null) {
            return null;
        }
        Entry e = slot.find(owner);
        if (e == null) {
            // Cleared weights, or a write that stored new floats after this thread read the field and then dropped the
            // entry, possibly followed by a new publication: under the slot's lock the answer is consistent.
            Object settled = slot.entryOrValue(owner);
            if (!(settled instanceof Entry found)) {
                return settled;
            }
            e = found;
        }
        return cache.get(e);
    }

    @Override
    public void write(Object owner, Object value, String fieldKey) {
        if (owner == null) {
            return;
        }
        FieldSlot slot = slots.get(fieldKey);
        if (slot == null) {
            return;
        }
        // The null that replaceWithQuantized's clearField writes is not a clear of the weights it is publishing.
        Entry old = slot.remove(owner, value == null ? Thread.currentThread() : null);
        if (old != null) {
            release(old, "the field was written");
        }
    }

    @Override
    public void store(Object owner, String fieldKey, QuantizedTensor q) {
        FieldSlot slot = slotFor(owner, fieldKey, q);
        Object current = slot.currentValue(owner);
        if (current != null) {
            throw new IllegalStateException(
                    "field '" + fieldKey + "' of " + owner.getClass().getName()
                            + " still holds an array: write null to the field before storing its quantized form, or call "
                            + "replaceWithQuantized, otherwise reads keep returning that array and its memory is never released");
        }
        Entry old = slot.replace(owner, new Entry(owner, collectedOwners, slot, q));
        if (old != null) {
            release(old, "the field was quantized again");
        }
    }

    @Override
    public void replaceWithQuantized(Object owner, String fieldKey, QuantizedTensor q, Runnable clearField) {
        Objects.requireNonNull(clearField, "clearField");
        FieldSlot slot = slotFor(owner, fieldKey, q);
        Entry e = new Entry(owner, collectedOwners, slot, q);
        e.publisher = Thread.currentThread();
        Entry[] replaced = new Entry[1];
        boolean[] cleared = new boolean[1];
        try {
            // Under the slot's lock from the entry to the field's null, so a reader that settles under it never sees
            // the two halves apart (see FieldSlot.entryOrValue).
            slot.publish(() -> {
                replaced[0] = slot.replace(owner, e);
                // Orders the entry's publication before the field's null for lock-free readers: see read.
                VarHandle.releaseFence();
                clearField.run();
                cleared[0] = slot.currentValue(owner) == null || e.dropped;
            });
        } finally {
            e.publisher = null;
            if (replaced[0] != null) {
                release(replaced[0], "the field was quantized again");
            }
            if (!cleared[0]) {
                // Never keep quantized data next to an array in the field: the field's array stays the weights.
                Entry ours = slot.removeIfCurrent(owner, e);
                if (ours != null) {
                    release(ours, "the field was not cleared");
                }
            }
        }
        if (!cleared[0]) {
            throw new IllegalStateException(
                    "field '" + fieldKey + "' of " + owner.getClass().getName()
                            + " still holds an array after clearField ran: it must write null to that field");
        }
    }

    @Override
    public void cloned(Object original, Object copy) {
        for (FieldSlot slot : slots.values()) {
            if (!slot.accepts(copy)) {
                continue;
            }
            Entry e = slot.find(original);
            // The copy's field holds what the original's held: null while quantized. Anything else was written since.
            if (e == null || slot.currentValue(copy) != null) {
                continue;
            }
            Entry old = slot.replace(copy, new Entry(copy, collectedOwners, slot, e.q));
            if (old != null) {
                // super.clone() hooked at two levels of the hierarchy: the second copy of the same data.
                release(old, "the clone was given its original's data again");
            }
        }
    }

    /**
     * Said once, at the first quantization: the accesses the agent cannot rewrite read the field itself, which holds
     * null while it is quantized. There is no way to see a reflective read happen, so the warning cannot wait for one.
     */
    private void warnAboutUnrewrittenAccessOnce(String fieldKey) {
        if (unrewrittenAccessWarned.get() || !unrewrittenAccessWarned.compareAndSet(false, true)) {
            return;
        }
        AgentLog.warn("from now on " + fieldKey + " (and every field quantized after it) holds null while it is "
                + "quantized: code reads it through rewritten field reads, but reflection (Field.get), MethodHandle "
                + "getters, VarHandles and Unsafe-based serializers read the null. Read such fields in code, or call "
                + "QuantizedFields.read(owner, null, \"Class#field\") or Quantization.exportState(model); clone() and "
                + "Java serialization carry the weights (docs/AGENT.md, \"Limits\"; said once per JVM)");
    }

    /** The slot of a field key, after checking the arguments of a store. */
    private FieldSlot slotFor(Object owner, String fieldKey, QuantizedTensor q) {
        if (owner == null) {
            throw new IllegalArgumentException(
                    "cannot store the quantized form of '" + fieldKey + "' for a null owner");
        }
        Objects.requireNonNull(fieldKey, "fieldKey");
        if (q == null) {
            throw new IllegalArgumentException("quantized tensor for field '" + fieldKey + "' is null; to clear the "
                    + "weights write null to the field instead");
        }
        expungeCollectedOwners();
        startExpunger();
        FieldSlot slot = slots.computeIfAbsent(fieldKey, k -> FieldSlot.resolve(k, owner));
        if (!slot.accepts(owner)) {
            throw new IllegalArgumentException("field key '" + fieldKey + "' is already used by a class of another "
                    + "class loader; one store cannot tell the two apart");
        }
        if (slot.rows() && q.rank() != 2) {
            throw new IllegalArgumentException("field '" + fieldKey + "' is a float[][] (rows), so its quantized "
                    + "tensor must have shape [rows, cols]; got " + java.util.Arrays.toString(q.shape()));
        }
        warnAboutUnrewrittenAccessOnce(fieldKey);
        return slot;
    }

    @Override
    public QuantizedTensor quantized(Object owner, String fieldKey) {
        if (owner == null) {
            return null;
        }
        FieldSlot slot = slots.get(fieldKey);
        Entry e = slot == null ? null : slot.find(owner);
        return e == null ? null : e.q;
    }

    /** Dequantizes an entry: a new, completely filled array (rows for a float[][] field). */
    Object materialize(Entry e) {
        expungeCollectedOwners();
        Object value = dequantize(e);
        dequantizations.increment();
        repeats.dequantized(e);
        if (check) {
            Object previous = e.swapHandedOut(value);
            if (previous != null) {
                compare(
                        e,
                        previous,
                        "cache=" + options.cacheText() + " dropped it and this read dequantized the field anew");
            }
        }
        return value;
    }

    private static Object dequantize(Entry e) {
        float[] flat = e.q.dequantize().data();
        if (!e.slot.rows()) {
            return flat;
        }
        int[] shape = e.q.shape();
        int rows = shape[0];
        int cols = shape[1];
        float[][] out = new float[rows][];
        for (int r = 0; r < rows; r++) {
            out[r] = java.util.Arrays.copyOfRange(flat, r * cols, (r + 1) * cols);
        }
        return out;
    }

    void countUncacheable() {
        uncacheable.increment();
    }

    /** The budget cache let go of an entry's array. */
    void evicted(Entry e) {
        evictions.increment();
        if (check) {
            Object handed = e.swapHandedOut(null);
            if (handed != null) {
                compare(e, handed, "the array was evicted from the cache");
            }
        }
    }

    private void release(Entry e, String why) {
        cache.release(e);
        if (check) {
            Object handed = e.swapHandedOut(null);
            if (handed != null) {
                compare(e, handed, why);
            }
        }
    }

    /** Check mode: the array handed out must still hold the quantized values, else the change would be lost. */
    private void compare(Entry e, Object handed, String why) {
        Object expected = dequantize(e);
        String difference = e.slot.rows()
                ? firstDifference((float[][]) expected, (float[][]) handed)
                : firstDifference((float[]) expected, (float[]) handed, "");
        if (difference == null) {
            return;
        }
        String report = "field " + e.slot.key() + " of " + e.ownerDescription() + " was modified through an array "
                + "returned by a read (" + difference + "); the change is lost: " + why
                + ". Arrays returned for quantized fields are read-only views: to change the weights, write a new "
                + "array to the field.";
        modified.increment();
        synchronized (reports) {
            if (reports.size() < MAX_REPORTS) {
                reports.add(report);
            }
        }
        AgentLog.warn(report);
    }

    private static String firstDifference(float[] expected, float[] actual, String prefix) {
        if (actual.length != expected.length) {
            return prefix + "length " + actual.length + " instead of " + expected.length;
        }
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                return "element " + prefix + "[" + i + "] is " + actual[i] + ", the quantized value is " + expected[i];
            }
        }
        return null;
    }

    private static String firstDifference(float[][] expected, float[][] actual) {
        for (int r = 0; r < expected.length; r++) {
            if (actual[r] == null) {
                return "row [" + r + "] was set to null";
            }
            String d = firstDifference(expected[r], actual[r], "[" + r + "]");
            if (d != null) {
                return d;
            }
        }
        return null;
    }

    /** Drops the entries of owners the GC collected, with their quantized data and cached arrays. */
    void expungeCollectedOwners() {
        Reference<?> r;
        while ((r = collectedOwners.poll()) != null) {
            expunge((Entry) r);
        }
    }

    private void expunge(Entry e) {
        if (e.slot.expunge(e)) {
            cache.release(e);
            e.swapHandedOut(null);
        }
    }

    /**
     * A daemon thread that releases a collected owner's quantized data and cached array as soon as the GC
     * reports the owner gone, so a dropped model gives its memory back without waiting for the next access to
     * some quantized field. Started with the first store, so a program that never quantizes has no extra thread.
     */
    private void startExpunger() {
        if (expungerStarted) {
            return;
        }
        synchronized (this) {
            if (expungerStarted) {
                return;
            }
            Thread t = new Thread(
                    () -> {
                        while (true) {
                            try {
                                expunge((Entry) collectedOwners.remove());
                            } catch (InterruptedException e) {
                                return;
                            } catch (RuntimeException e) {
                                AgentLog.warn("releasing the quantized data of a collected owner failed: " + e);
                            }
                        }
                    },
                    "quant4j-agent-expunge");
            t.setDaemon(true);
            t.start();
            expungerStarted = true;
        }
    }

    @Override
    public Map<String, Object> status() {
        expungeCollectedOwners();
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("agentActive", true);
        s.put("options", options.toString());
        s.put("cache", options.cacheText());
        s.put("cacheBudgetBytes", options.budgetBytes());
        s.put("check", check);
        if (record != null) {
            s.put("rewrittenClasses", record.rewrittenClasses());
            s.put("failedClasses", record.failedClasses());
            s.put("classesSeen", record.classesSeen());
            s.put("classesParsed", record.classesParsed());
            s.put("transformMillis", record.transformNanos() / 1_000_000.0);
        }
        int fields = 0;
        long bytes = 0;
        for (FieldSlot slot : slots.values()) {
            for (Entry e : slot.entries()) {
                fields++;
                bytes += e.q.byteSize();
            }
        }
        s.put("quantizedFields", fields);
        s.put("quantizedBytes", bytes);
        cache.describe(s, slots.values());
        s.put("dequantizations", dequantizations.sum());
        s.put("evictions", evictions.sum());
        s.put("uncacheable", uncacheable.sum());
        s.put("repeatedDequantizationWarnings", repeats.warnedFields());
        s.put("unrewrittenAccessWarned", unrewrittenAccessWarned.get());
        s.put("modifiedArrays", modified.sum());
        synchronized (reports) {
            s.put("modifiedArrayReports", List.copyOf(reports));
        }
        return Collections.unmodifiableMap(s);
    }
}
