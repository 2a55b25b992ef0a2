package dev.quant4j.it.model;

/**
 * A Cloneable base class that has no float-array field of its own: its {@code super.clone()} must carry the
 * quantized fields of a subclass ({@link DerivedLayer}) all the same.
 */
public class CloneableBase implements Cloneable {
    public int id;

    @Override
    public CloneableBase clone() {
        try {
            return (CloneableBase) super.clone();
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
    }
}
