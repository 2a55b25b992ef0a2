import dev.quant4j.examples.minilm.MiniLmLoader;
import dev.quant4j.examples.minilm.OnnxWeights;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.kernels.QuantKernels;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.TreeSet;

/**
 * MiniLM's weight matrices as the demo quantizes them ([out, in], blocks of 32 along in): RMSE of
 * q4f:block32:f16 with MinMax and with the MSE search, and each matrix written as raw float32 for
 * ggml_q4_rmse.c to measure ggml's Q4_0 on the same numbers. Run by run.sh.
 * Usage: java --add-modules jdk.incubator.vector -cp CP MiniLmRmse.java OUT_DIR
 * Writes OUT_DIR/NAME.f32 and OUT_DIR/index.txt ("FILE ROWS COLS" per line); prints RMSE lines.
 */
public class MiniLmRmse {
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        Files.createDirectories(out);
        QuantKernels k = Kernels.active();
        String[] schemes = {"q4f:block32:f16", "q4f:block32:f16:mse"};
        double[] total = new double[schemes.length];
        long[] nanos = new long[schemes.length];
        long count = 0;
        OnnxWeights w = MiniLmLoader.weightsFromClasspath();
        StringBuilder index = new StringBuilder();
        for (String name : new TreeSet<>(w.names())) {
            OnnxWeights.Tensor t = w.tensor(name);
            if (t.shape().length != 2 || t.shape()[0] < 32) {
                continue; // the 2 x 384 token-type table is too small to say anything
            }
            int r = t.shape()[0];
            int c = t.shape()[1];
            float[] d = t.data();
            if (name.startsWith("encoder.")) {
                // ONNX keeps a linear layer's weight as [in, out]; the demo transposes it to [out, in].
                float[] tr = new float[d.length];
                for (int i = 0; i < r; i++) {
                    for (int j = 0; j < c; j++) {
                        tr[j * r + i] = d[i * c + j];
                    }
                }
                d = tr;
                int z = r;
                r = c;
                c = z;
            }
            String file = name.replaceAll("[^A-Za-z0-9_.]", "_") + ".f32";
            ByteBuffer bb = ByteBuffer.allocate(d.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            bb.asFloatBuffer().put(d);
            Files.write(out.resolve(file), bb.array());
            index.append(file).append(' ').append(r).append(' ').append(c).append('\n');
            StringBuilder line = new StringBuilder("RMSE " + file);
            for (int s = 0; s < schemes.length; s++) {
                long t0 = System.nanoTime();
                QuantizedTensor q = k.quantize(name, FloatTensor.of(d, r, c), QuantScheme.parse(schemes[s]));
                nanos[s] += System.nanoTime() - t0;
                float[] back = new float[d.length];
                k.dequantize(q, back);
                double e = 0;
                for (int i = 0; i < d.length; i++) {
                    double diff = (double) d[i] - back[i];
                    e += diff * diff;
                }
                total[s] += e;
                line.append(String.format(Locale.ROOT, " %s=%.9g", schemes[s], Math.sqrt(e / d.length)));
            }
            count += d.length;
            System.out.println(line);
        }
        Files.writeString(out.resolve("index.txt"), index);
        for (int s = 0; s < schemes.length; s++) {
            System.out.printf(Locale.ROOT, "RMSE ALL %s %.9g (%d weights, quantized in %.2f s by %s)%n", schemes[s],
                    Math.sqrt(total[s] / count), count, nanos[s] / 1e9, k.name());
        }
    }
}
