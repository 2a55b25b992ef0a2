package dev.quant4j.agent.store;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.SoftReference;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How long dequantized arrays live. Every policy hands out arrays that are completely filled before any
 * other thread can see them (published through a volatile write, or created by the reading thread itself),
 * and the caching ones dequantize a field at most once per miss: concurrent readers of a missing field wait
 * on the entry's lock for the one dequantization instead of each doing it.
 */
abstract sealed class ArrayCache {
    protected final AgentFieldStore store;

    ArrayCache(AgentFieldStore store) {
        this.store = store;
    }

    /** The dequantized value of an entry. */
    abstract Object get(Entry e);

    /** The entry no longer belongs to its field (marked dropped already): release its array. */
    abstract void release(Entry e);

    /** Arrays held now and their bytes, for the status. */
    abstract void describe(Map<String, Object> status, Iterable<FieldSlot> slots);

    /** {@code cache=none}: dequantize on every read, keep nothing. */
    static final class None extends ArrayCache {
        None(AgentFieldStore store) {
            super(store);
        }

        @Override
        Object get(Entry e) {
            return store.materialize(e);
        }

        @Override
        void release(Entry e) {}

        @Override
        void describe(Map<String, Object> status, Iterable<FieldSlot> slots) {
            status.put("cachedArrays", 0);
            status.put("cachedBytes", 0L);
        }
    }

    /**
     * {@code cache=soft}: keep through a soft reference; the GC clears it under memory pressure. The array returned
     * last is also held strongly, so a loop that reads the field per element never has the GC take the array it is
     * reading (which would make the next read dequantize the whole field again).
     */
    static final class Soft extends ArrayCache {
        /** The array returned last (plain: a stale value only keeps another recent array alive a little longer). */
        private Object lastReturned;

        Soft(AgentFieldStore store) {
            super(store);
        }

        @Override
        Object get(Entry e) {
            SoftReference<Object> ref = e.soft;
            Object v = ref == null ? null : ref.get();
            if (v == null) {
                v = miss(e);
            }
            if (lastReturned != v) {
                lastReturned = v;
            }
            return v;
        }

        private Object miss(Entry e) {
            SoftReference<Object> ref;
            Object v;
            synchronized (e) {
                ref = e.soft;
                v = ref == null ? null : ref.get();
                if (v != null) {
                    return v;
                }
                v = store.materialize(e);
                if (!e.dropped) {
                    e.soft = new SoftReference<>(v);
                }
                return v;
            }
        }

        @Override
        void release(Entry e) {
            SoftReference<Object> ref = e.soft;
            e.soft = null;
            if (ref != null && ref.get() == lastReturned) {
                lastReturned = null;
            }
        }

        @Override
        void describe(Map<String, Object> status, Iterable<FieldSlot> slots) {
            int arrays = 0;
            long bytes = 0;
            for (FieldSlot s : slots) {
                for (Entry e : s.entries()) {
                    SoftReference<Object> ref = e.soft;
                    if (ref != null && ref.get() != null) {
                        arrays++;
                        bytes += e.arrayBytes;
                    }
                }
            }
            status.put("cachedArrays", arrays);
            status.put("cachedBytes", bytes);
        }
    }

    /**
     * {@code cache=budget:N}: keep arrays while their bytes fit the budget; on overflow evict the least
     * recently used. Every read stamps its entry with a tick of one clock; a read of the entry stamped last
     * (a loop over one field) leaves the clock alone, and a tick is a plain read and write, not an atomic
     * instruction.
     *
     * <p>The entry whose array was returned last is pinned: eviction never takes it, and an array larger than the
     * whole budget, which is never resident, is still kept while it is the one read last. So a loop that reads a field
     * element by element ({@code s += w[i]}) dequantizes it once, not once per element, even for a tensor larger
     * than the budget or two tensors read in turn that do not fit together. The price is a bound of budget plus one
     * array (the largest tensor read) instead of the budget alone.
     */
    static final class Budget extends ArrayCache {
        private static final VarHandle LAST_READ = Entry.varHandle(MethodHandles.lookup(), "lastRead", Entry.class);

        private final long budget;
        private final Object lock = new Object();
        /** Guarded by lock. */
        private final Set<Entry> resident = new HashSet<>();
        /** Guarded by lock. */
        private long residentBytes;

        private final AtomicLong clock = new AtomicLong();
        /**
         * The entry whose array was returned last: eviction skips it. Written with an opaque store (a plain move,
         * no fence) and only when another field is read; a racing eviction that misses the newest value costs at
         * most one extra dequantization, never wrong values.
         */
        @SuppressWarnings("unused")
        private volatile Entry lastRead;
        /** The one over-budget entry whose array is kept, while it is the one read last. Written under lock. */
        private volatile Entry overBudget;

        Budget(AgentFieldStore store, long budget) {
            super(store);
            this.budget = budget;
        }

        @Override
        Object get(Entry e) {
            Object v = e.cached;
            if (v != null) {
                long now = clock.getOpaque();
                if (e.lastUse != now) {
                    e.lastUse = tick();
                }
                // A loop over one field only reads here; a switch to another field pays a plain store.
                if (LAST_READ.getOpaque(this) != e) {
                    LAST_READ.setOpaque(this, e);
                    Entry o = overBudget;
                    if (o != null && o != e) {
                        letGoOverBudget(o);
                    }
                }
                return v;
            }
            return miss(e);
        }

        /** Another field was read after the over-budget {@code o}: its array is no longer kept. */
        private void letGoOverBudget(Entry o) {
            synchronized (lock) {
                if (overBudget != o || LAST_READ.getVolatile(this) == o) {
                    return; // let go already, or read again meanwhile
                }
                overBudget = null;
                o.cached = null;
            }
            store.evicted(o);
        }

        /**
         * Advances the clock without an atomic instruction: one reader at a time (the usual inference loop) gets
         * an exact order; racing readers may draw the same tick, which only makes their entries equally old.
         */
        private long tick() {
            long now = clock.getOpaque() + 1;
            clock.setOpaque(now);
            return now;
        }

        private Object miss(Entry e) {
            List<Entry> evicted = null;
            Entry previousOverBudget = null;
            Object v;
            synchronized (e) {
                v = e.cached;
                if (v == null) {
                    v = store.materialize(e);
                    boolean over = e.arrayBytes > budget;
                    if (over) {
                        store.countUncacheable();
                    }
                    synchronized (lock) {
                        if (!e.dropped) {
                            e.cached = v;
                            if (over) {
                                // Never resident: kept only while it is the array read last.
                                previousOverBudget = overBudget;
                                overBudget = e;
                                if (previousOverBudget != null && previousOverBudget != e) {
                                    previousOverBudget.cached = null;
                                } else {
                                    previousOverBudget = null;
                                }
                            } else {
                                e.lastUse = tick();
                                resident.add(e);
                                residentBytes += e.arrayBytes;
                                if (residentBytes > budget) {
                                    evicted = evictLocked(e);
                                }
                            }
                        }
                    }
                }
            }
            if (!e.dropped) {
                LAST_READ.setOpaque(this, e);
                Entry o = overBudget;
                if (o != null && o != e) {
                    letGoOverBudget(o);
                }
            }
            if (previousOverBudget != null) {
                store.evicted(previousOverBudget);
            }
            if (evicted != null) {
                for (Entry x : evicted) {
                    store.evicted(x);
                }
            }
            return v;
        }

        /**
         * Evicts least recently used entries until the resident bytes fit the budget, never {@code keep} (the array
         * being read) nor the entry read last before it (which a loop may be reading in turn with {@code keep}).
         */
        private List<Entry> evictLocked(Entry keep) {
            Entry readLast = (Entry) LAST_READ.getVolatile(this);
            List<Entry> byAge = new ArrayList<>(resident);
            byAge.sort(Comparator.comparingLong(x -> x.lastUse));
            List<Entry> evicted = new ArrayList<>();
            for (Entry x : byAge) {
                if (residentBytes <= budget) {
                    break;
                }
                if (x == keep || x == readLast) {
                    continue;
                }
                x.cached = null;
                resident.remove(x);
                residentBytes -= x.arrayBytes;
                evicted.add(x);
            }
            return evicted;
        }

        @Override
        void release(Entry e) {
            synchronized (lock) {
                if (resident.remove(e)) {
                    residentBytes -= e.arrayBytes;
                }
                if (overBudget == e) {
                    overBudget = null;
                }
                e.cached = null;
            }
            // Keeps no dropped entry (and its packed data) reachable from here.
            LAST_READ.compareAndSet(this, e, null);
        }

        @Override
        void describe(Map<String, Object> status, Iterable<FieldSlot> slots) {
            synchronized (lock) {
                status.put("cachedArrays", resident.size());
                status.put("cachedBytes", residentBytes);
                status.put("pinnedOverBudgetBytes", overBudget == null ? 0L : overBudget.arrayBytes);
            }
            Entry last = (Entry) LAST_READ.getVolatile(this);
            status.put("pinnedField", last == null ? "" : last.slot.key());
        }
    }
}
