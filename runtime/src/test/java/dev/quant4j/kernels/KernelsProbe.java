package dev.quant4j.kernels;

/** Prints the kernels this JVM chose; {@link KernelsTest} runs it in child JVMs with different flags. */
public final class KernelsProbe {
    private KernelsProbe() {}

    public static void main(String[] args) {
        System.out.println("kernels=" + Kernels.active().name());
    }
}
