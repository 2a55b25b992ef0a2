// Compares quant4j's ggml quantizers (dev.quant4j.io.gguf.GgmlQuants) with ggml's own on the files of
// ggml_quantize.c: byte for byte; our dequantizer (GgmlBlocks) with ggml's to_float on ggml's blocks, bit
// for bit; and the RMSE of each side's dequantized values (ggml's dequantizers,
// as GgmlBlocks reads them) against the input, relative to the input's RMS per super-block, the median. Prints one RESULT line per type; exits 1 on a difference.
// Run: java -cp runtime/target/classes:scheme/target/classes:annotations/target/classes KQuantCheck.java DIR
import dev.quant4j.io.gguf.GgmlBlocks;
import dev.quant4j.io.gguf.GgmlQuants;
import dev.quant4j.io.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

public class KQuantCheck {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        byte[] raw = Files.readAllBytes(dir.resolve("input.f32"));
        float[] x = new float[raw.length / 4];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(x);
        boolean failed = false;
        for (GgmlType type : new GgmlType[] {GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q5_0, GgmlType.Q8_0}) {
            byte[] theirs = Files.readAllBytes(dir.resolve(type.ggmlName() + ".bin"));
            long cpu0 = System.nanoTime();
            byte[] ours = GgmlQuants.quantize(type, x);
            double ms = (System.nanoTime() - cpu0) / 1e6;
            int differ = 0;
            int first = -1;
            for (int i = 0; i < Math.min(ours.length, theirs.length); i++) {
                if (ours[i] != theirs[i]) {
                    differ++;
                    if (first < 0) {
                        first = i;
                    }
                }
            }
            int blockDiffers = 0;
            for (int b = 0; b < ours.length / type.typeSize(); b++) {
                if (!java.util.Arrays.equals(ours, b * type.typeSize(), (b + 1) * type.typeSize(), theirs,
                        b * type.typeSize(), (b + 1) * type.typeSize())) {
                    blockDiffers++;
                }
            }
            failed |= differ != 0 || ours.length != theirs.length;
            // ggml's dequantizer on ggml's blocks against ours on the same blocks, bit for bit.
            byte[] rawBack = Files.readAllBytes(dir.resolve(type.ggmlName() + ".f32"));
            float[] ggmlBack = new float[x.length];
            ByteBuffer.wrap(rawBack).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(ggmlBack);
            float[] ourBack = new float[x.length];
            GgmlBlocks.dequantize(MemorySegment.ofArray(theirs), type, ourBack);
            int floatsDiffer = 0;
            for (int i = 0; i < x.length; i++) {
                if (Float.floatToRawIntBits(ggmlBack[i]) != Float.floatToRawIntBits(ourBack[i])) {
                    floatsDiffer++;
                }
            }
            failed |= floatsDiffer != 0;
            System.out.printf(Locale.ROOT, "RESULT %s: %d values, %d bytes, %s (%d bytes and %d of %d blocks differ%s);"
                            + " dequantized: %d floats differ from ggml's to_float;"
                            + " median relative RMSE quant4j %.6e, ggml %.6e; quant4j took %.0f ms%n", type.ggmlName(), x.length,
                    ours.length, differ == 0 && ours.length == theirs.length ? "identical to ggml" : "DIFFERENT from ggml",
                    differ, blockDiffers, ours.length / type.typeSize(), first < 0 ? "" : ", first at byte " + first,
                    floatsDiffer,
                    rmse(ours, type, x), rmse(theirs, type, x), ms);
        }
        System.exit(failed ? 1 : 0);
    }

    static double rmse(byte[] data, GgmlType type, float[] x) {
        float[] y = new float[x.length];
        GgmlBlocks.dequantize(MemorySegment.ofArray(data), type, y);
        // Relative to the input's own size, per super-block of 256 (their scales span six decades, and the
        // f16 scales of the smallest underflow to zero), then the median over the super-blocks.
        int blocks = x.length / 256;
        double[] rel = new double[blocks];
        for (int b = 0; b < blocks; b++) {
            double e = 0;
            double n = 0;
            for (int i = b * 256; i < (b + 1) * 256; i++) {
                double d = (double) y[i] - x[i];
                e += d * d;
                n += (double) x[i] * x[i];
            }
            rel[b] = n == 0 ? 0 : Math.sqrt(e / n);
        }
        java.util.Arrays.sort(rel);
        return rel[blocks / 2];
    }
}
