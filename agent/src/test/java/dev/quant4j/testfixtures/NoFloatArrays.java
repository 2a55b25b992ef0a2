package dev.quant4j.testfixtures;

/** No float array anywhere: the constant-pool scan must reject it without parsing. */
public class NoFloatArrays {
    public int count;
    public String name = "x";

    public int twice() {
        return count * 2 + name.length();
    }
}
