package dev.quant4j.it.memory;

import dev.quant4j.fields.QuantizedFields;
import dev.quant4j.fields.internal.FieldHooks;
import dev.quant4j.fields.internal.FieldStore;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Locale;
import java.util.Map;

/**
 * Builds a model of {@code layers x perLayer} float weights layer by layer, quantizes each layer as it is built
 * (mode {@code quantize}) or keeps it as float32 (mode {@code float32}), and prints heap figures after a full GC:
 * <pre>
 *   weights, float32Bytes, packedBytes, heapAfterQuantize, heapAfterReads, cachedBytes, budgetBytes
 * </pre>
 * Heap figures are "used after System.gc()" minus the same before the model existed. Run it in its own JVM with
 * -XX:+UseSerialGC (one contiguous heap: used bytes are live bytes, no region rounding).
 *
 * <p>Usage: {@code MemoryClaimMain quantize|float32 LAYERS PER_LAYER SCHEME}
 */
public final class MemoryClaimMain {
    private MemoryClaimMain() {}

    public static void main(String[] args) throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long withModel = buildAndMeasure(args, memory);
        // The same figure measured the other way round: what the heap gives back once the model (built and held
        // only inside buildAndMeasure) is gone. The store lets go of a collected owner's data from a daemon thread
        // as soon as the GC reports the owner collected; wait for it (bounded) before measuring again.
        usedAfterGc(memory);
        for (int i = 0; i < 100 && storeStillHolds(); i++) {
            Thread.sleep(20);
        }
        long withoutModel = stableUsedAfterGc(memory);
        System.out.println("heapReleasedWithModel=" + (withModel - withoutModel));
    }

    private static boolean storeStillHolds() {
        Map<String, Object> status = QuantizedFields.status();
        return ((Number) status.getOrDefault("quantizedFields", 0)).intValue() > 0
                || ((Number) status.getOrDefault("cachedBytes", 0L)).longValue() > 0;
    }

    /** Builds, quantizes and reads the model, prints the figures; returns the heap used with the model alive. */
    private static long buildAndMeasure(String[] args, MemoryMXBean memory) {
        String mode = args[0];
        int layers = Integer.parseInt(args[1]);
        int perLayer = Integer.parseInt(args[2]);
        Quantizer quantizer = Quantizer.of(args[3]);
        // Load and initialise everything the measured phase uses, so class data does not count as weights.
        warmUp(quantizer);
        long baseline = usedAfterGc(memory);

        BigLayer[] model = new BigLayer[layers];
        long packed = 0;
        long seed = 42;
        for (int l = 0; l < layers; l++) {
            float[] w = new float[perLayer];
            for (int i = 0; i < perLayer; i++) {
                seed = seed * 6364136223846793005L + 1442695040888963407L;
                w[i] = ((seed >>> 40) * 0x1.0p-24f) * 2f - 1f;
            }
            model[l] = new BigLayer(w);
            if (mode.equals("quantize")) {
                packed += quantize(model[l], quantizer, "layers[" + l + "].weights")
                        .byteSize();
            }
        }
        long afterQuantize = usedAfterGc(memory) - baseline;

        double checksum = 0;
        for (BigLayer layer : model) {
            float[] w = layer.weights;
            checksum += w[0] + w[w.length - 1];
        }
        long afterReads = usedAfterGc(memory) - baseline;

        Object cached = QuantizedFields.status().get("cachedBytes");
        Object budget = QuantizedFields.status().get("cacheBudgetBytes");
        System.out.println("weights=" + (long) layers * perLayer);
        System.out.println("float32Bytes=" + 4L * layers * perLayer);
        System.out.println("packedBytes=" + packed);
        System.out.println("heapAfterQuantize=" + afterQuantize);
        System.out.println("heapAfterReads=" + afterReads);
        System.out.println("cachedBytes=" + (cached == null ? 0 : cached));
        System.out.println("budgetBytes=" + (budget == null ? 0 : budget));
        System.out.println(String.format(Locale.ROOT, "checksum=%.3f", checksum));
        // Until here the model must stay reachable, or the figures above would be of a collected model.
        java.lang.ref.Reference.reachabilityFence(model);
        return baseline + afterReads;
    }

    /** What the generated quantizeWeights does for one plain array field. */
    static QuantizedTensor quantize(BigLayer layer, Quantizer quantizer, String path) {
        QuantizedTensor q = quantizer.quantize(path, FloatTensor.vector(layer.weights));
        FieldStore store = FieldHooks.requireStore(path);
        layer.weights = null;
        store.store(layer, BigLayer.KEY, q);
        return q;
    }

    private static void warmUp(Quantizer quantizer) {
        BigLayer l = new BigLayer(new float[4096]);
        if (QuantizedFields.agentActive()) {
            quantize(l, quantizer, "warm-up");
            float[] w = l.weights;
            l.weights = w.clone();
        }
        QuantizedFields.status();
    }

    /**
     * Used heap once two full GCs 50 ms apart agree: references the GC has just cleared are handed to the
     * store by the JVM's reference-handler thread a moment later, and a measurement in that window still
     * counts data the store is about to let go.
     */
    private static long stableUsedAfterGc(MemoryMXBean memory) throws InterruptedException {
        long previous = usedAfterGc(memory);
        for (int i = 0; i < 20; i++) {
            Thread.sleep(50);
            long now = usedAfterGc(memory);
            if (Math.abs(now - previous) < 256 * 1024) {
                return now;
            }
            previous = now;
        }
        return previous;
    }

    private static long usedAfterGc(MemoryMXBean memory) {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
