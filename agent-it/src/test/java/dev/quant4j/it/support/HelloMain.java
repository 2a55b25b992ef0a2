package dev.quant4j.it.support;

/** Uses nothing of quant4j: the program the agent must leave running when the runtime is missing. */
public final class HelloMain {
    private HelloMain() {}

    public static void main(String[] args) {
        System.out.println("hello, still running");
    }
}
