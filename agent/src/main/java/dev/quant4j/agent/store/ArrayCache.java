package dev.quant4j.agent.store;

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
        void release(Entry e) {
        }

        @Override
        void describe(Map<String, Object> status, Iterable<FieldSlot> slots) {
            status.put("cachedArrays", 0);
            status.put("cachedBytes", 0L);
        }
    }

    /** {@code cache=soft}: keep through a soft reference; the GC clears it under memory pressure. */
    static final class Soft extends ArrayCache {
        Soft(AgentFieldStore store) {
            super(store);
        }

        @Override
        Object get(Entry e) {
            SoftReference<Object> ref = e.soft;
            Object v = ref == null ? null : ref.get();
            if (v != null) {
                return v;
            }
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
            e.soft = null;
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
     * instruction. An array larger than the whole budget is handed out without being kept.
     */
    static final class Budget extends ArrayCache {
        private final long budget;
        private final Object lock = new Object();
        /** Guarded by lock. */
        private final Set<Entry> resident = new HashSet<>();
        /** Guarded by lock. */
        private long residentBytes;
        private final AtomicLong clock = new AtomicLong();

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
                return v;
            }
            return miss(e);
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
            Object v;
            synchronized (e) {
                v = e.cached;
                if (v != null) {
                    return v;
                }
                v = store.materialize(e);
                if (e.arrayBytes > budget) {
                    store.countUncacheable();
                    return v;
                }
                synchronized (lock) {
                    if (e.dropped) {
                        return v;
                    }
                    e.lastUse = tick();
                    e.cached = v;
                    resident.add(e);
                    residentBytes += e.arrayBytes;
                    if (residentBytes > budget) {
                        evicted = evictLocked(e);
                    }
                }
            }
            if (evicted != null) {
                for (Entry x : evicted) {
                    store.evicted(x);
                }
            }
            return v;
        }

        /** Evicts least recently used entries (never {@code keep}) until the resident bytes fit the budget. */
        private List<Entry> evictLocked(Entry keep) {
            List<Entry> byAge = new ArrayList<>(resident);
            byAge.sort(Comparator.comparingLong(x -> x.lastUse));
            List<Entry> evicted = new ArrayList<>();
            for (Entry x : byAge) {
                if (residentBytes <= budget) {
                    break;
                }
                if (x == keep) {
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
                e.cached = null;
            }
        }

        @Override
        void describe(Map<String, Object> status, Iterable<FieldSlot> slots) {
            synchronized (lock) {
                status.put("cachedArrays", resident.size());
                status.put("cachedBytes", residentBytes);
            }
        }
    }
}
