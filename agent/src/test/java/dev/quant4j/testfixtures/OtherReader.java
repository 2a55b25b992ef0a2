package dev.quant4j.testfixtures;

/** Another class that reads and writes Weights' fields: it must be rewritten too. */
public final class OtherReader {
    private OtherReader() {}

    public static float[] read(Weights m) {
        return m.w;
    }

    public static float[] readThroughSub(SubWeights s) {
        return s.w;
    }

    public static float[] readPlain(Weights m) {
        return m.plain;
    }

    public static void write(Weights m, float[] v) {
        m.w = v;
    }
}
