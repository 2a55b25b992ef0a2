package dev.quant4j.io;

import dev.quant4j.tensor.FloatTensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A separate JVM that writes {@code DIR/out.safetensors}, for tests that signal it or limit it:
 * {@code slow} says "writing" on stdout once the temporary file exists and then waits in its producer;
 * {@code big} writes 1 MiB and, when that fails, prints the exception and exits with 3.
 */
public final class ChildWriter {
    private ChildWriter() {}

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]).resolve("out.safetensors");
        switch (args[1]) {
            case "slow" ->
                SafetensorsWriter.write(
                        out,
                        Map.of(),
                        List.of(
                                TensorSpec.floats("first", FloatTensor.vector(new float[1024]), Dtype.F32),
                                TensorSpec.floats("second", new int[] {4}, Dtype.F32, () -> {
                                    System.out.println("writing");
                                    System.out.flush();
                                    try {
                                        Thread.sleep(60_000);
                                    } catch (InterruptedException e) {
                                        Thread.currentThread().interrupt();
                                    }
                                    return new float[4];
                                })));
            case "big" -> {
                try {
                    SafetensorsWriter.write(
                            out,
                            Map.of(),
                            List.of(TensorSpec.floats("w", FloatTensor.vector(new float[1 << 18]), Dtype.F32)));
                } catch (IOException e) {
                    System.out.println(e.getClass().getSimpleName() + ": " + e.getMessage());
                    System.exit(3);
                }
            }
            default -> throw new IllegalArgumentException(args[1]);
        }
    }
}
