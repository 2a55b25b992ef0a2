package dev.quant4j.agent;

import dev.quant4j.agent.transform.QuantizeFieldTransformer;
import dev.quant4j.agent.transform.TransformRecord;
import java.lang.instrument.Instrumentation;

/**
 * Entry point for {@code -javaagent:quant4j-agent.jar[=options]}: installs the field store into the runtime's
 * {@code dev.quant4j.fields.internal.FieldHooks} and the transformer that rewrites accesses to {@code @Quantize} array fields.
 *
 * <p>Nothing here may take the application down: any failure is reported on standard error and the program
 * runs on without the agent (plain float arrays, and {@code QuantizedFields.agentActive()} is false).
 */
public final class Quant4jAgent {
    private Quant4jAgent() {}

    public static void premain(String agentArgs, Instrumentation instrumentation) {
        try {
            start(agentArgs, instrumentation);
        } catch (Throwable t) {
            System.err.println("[quant4j-agent] ERROR the agent could not start (" + t
                    + "); the program runs without it and plain float[] weight fields are not kept quantized");
        }
    }

    private static void start(String agentArgs, Instrumentation instrumentation) {
        long start = System.nanoTime();
        AgentOptions options = AgentOptions.parse(
                agentArgs, System.getProperties(), Runtime.getRuntime().maxMemory());
        AgentLog.setLevel(options.log());
        for (String problem : options.problems()) {
            AgentLog.warn(problem);
        }
        // The hooks and the FieldStore interface come from the application's class path (quant4j-runtime), which the
        // system class loader sees; the agent jar is on that loader too, so the store links against the same classes.
        ClassLoader appLoader = ClassLoader.getSystemClassLoader();
        Class<?> hooks;
        try {
            hooks = Class.forName("dev.quant4j.fields.internal.FieldHooks", true, appLoader);
        } catch (ClassNotFoundException | LinkageError e) {
            AgentLog.warn(
                    "quant4j-runtime (dev.quant4j.fields.internal.FieldHooks) is not on the class path, so there is "
                            + "nothing to install into; the agent stays inactive");
            return;
        }
        TransformRecord record = new TransformRecord();
        try {
            StoreInstaller.install(options, record);
        } catch (LinkageError e) {
            AgentLog.warn("could not install the field store into " + hooks + " (" + e + "); the agent stays inactive");
            return;
        }
        instrumentation.addTransformer(
                new QuantizeFieldTransformer(record, options.excludes(), instrumentation, hooks), false);
        AgentLog.info("active with " + options + " (start-up " + (System.nanoTime() - start) / 1_000_000 + " ms)");
    }
}
