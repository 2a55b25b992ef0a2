package dev.quant4j.examples.minilm.demo;

/** How close a set of sentence vectors is to the float32 reference set. */
public final class Quality {

    private Quality() {}

    /** Cosine of two vectors, in double. */
    public static double cosine(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("vectors of length " + a.length + " and " + b.length);
        }
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    /** Per sentence, the cosine between its vector and its reference vector. */
    static double[] cosines(float[][] vectors, float[][] reference) {
        check(vectors, reference);
        double[] out = new double[vectors.length];
        for (int i = 0; i < vectors.length; i++) {
            out[i] = cosine(vectors[i], reference[i]);
        }
        return out;
    }

    /**
     * Retrieval top-1: per sentence, the index of the most similar other sentence of the set (the first
     * one on a tie). A set of one has no neighbours: -1.
     */
    static int[] nearestNeighbours(float[][] vectors) {
        int n = vectors.length;
        int[] nearest = new int[n];
        double[] best = new double[n];
        java.util.Arrays.fill(nearest, -1);
        java.util.Arrays.fill(best, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double c = cosine(vectors[i], vectors[j]);
                if (c > best[i]) {
                    best[i] = c;
                    nearest[i] = j;
                }
                if (c > best[j]) {
                    best[j] = c;
                    nearest[j] = i;
                }
            }
        }
        return nearest;
    }

    /** Fraction of sentences whose nearest neighbour is the reference's. */
    static double top1Agreement(float[][] vectors, float[][] reference) {
        check(vectors, reference);
        int[] ours = nearestNeighbours(vectors);
        int[] theirs = nearestNeighbours(reference);
        int same = 0;
        for (int i = 0; i < ours.length; i++) {
            if (ours[i] == theirs[i]) {
                same++;
            }
        }
        return ours.length == 0 ? 1.0 : (double) same / ours.length;
    }

    private static void check(float[][] vectors, float[][] reference) {
        if (vectors.length != reference.length) {
            throw new IllegalArgumentException(vectors.length + " vectors against " + reference.length + " references");
        }
    }
}
