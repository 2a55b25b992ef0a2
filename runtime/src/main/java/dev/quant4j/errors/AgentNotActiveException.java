package dev.quant4j.errors;

/** A plain {@code float[]} weight field was to be quantized in memory without the Java agent. */
public final class AgentNotActiveException extends IllegalStateException {
    public AgentNotActiveException(String fieldPath) {
        super("field '" + fieldPath + "' is a plain float array: keeping it quantized in memory needs the "
                + "quant4j agent. Either start the JVM with -javaagent:quant4j-agent.jar, or declare the field as "
                + "QuantizableTensor (no agent needed); to measure accuracy only, quantize with simulation "
                + "(quantize then dequantize in place).");
    }
}
