package dev.quant4j.it.support;

import dev.quant4j.fields.QuantizedFields;

/** Prints the agent status, for child-JVM tests of the agent's start-up. */
public final class StatusMain {
    private StatusMain() {}

    public static void main(String[] args) {
        System.out.println("agentActive=" + QuantizedFields.agentActive());
        System.out.println("cache=" + QuantizedFields.status().get("cache"));
    }
}
