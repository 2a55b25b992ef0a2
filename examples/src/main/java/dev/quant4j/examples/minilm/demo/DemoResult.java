package dev.quant4j.examples.minilm.demo;

/**
 * One row of the demo: one scheme run one way.
 *
 * @param scheme          the scheme's canonical text form, {@code f32}, or {@code annotated} (each field with
 *                        the scheme its {@code @Quantize} names)
 * @param mode            agent or holder
 * @param weightBytes     every parameter as stored: quantized tensors at their packed size with scales, the
 *                        rest at 4 bytes
 * @param ratio           weightBytes over the float32 model's
 * @param heapBytes       live heap the model holds right after quantization (after a full GC, before any
 *                        sentence runs) minus the live heap before the model was built
 * @param cosineMean      mean cosine between each sentence's vector and its float32 vector
 * @param cosineMin       the smallest of those cosines
 * @param top1Agreement   fraction of sentences whose nearest other sentence is the same as with float32
 * @param msPerSentence   wall time of embedding all sentences over their number (with {@code threads} threads)
 * @param cpuMsPerSentence CPU time of the embedding threads over the number of sentences: steadier than wall
 *                        time on a busy machine
 * @param threads         threads that embedded the sentences
 * @param sentences       number of sentences
 * @param quantizeSeconds time to quantize (0 for f32; for a loaded model, time to load)
 * @param digest          SHA-256 of the vectors' bits, to compare modes exactly
 * @param calibration     how the scales were chosen ({@link DemoReport#calibration(String)}; a plan row's: the
 *                        calibrations of the schemes its plan chose, joined with '+')
 */
record DemoResult(
        String scheme,
        DemoMode mode,
        long weightBytes,
        double ratio,
        long heapBytes,
        double cosineMean,
        double cosineMin,
        double top1Agreement,
        double msPerSentence,
        double cpuMsPerSentence,
        int threads,
        int sentences,
        double quantizeSeconds,
        String digest,
        String calibration) {}
