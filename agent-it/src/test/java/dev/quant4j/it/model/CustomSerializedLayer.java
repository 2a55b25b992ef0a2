package dev.quant4j.it.model;

import dev.quant4j.annotations.Quantize;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serial;
import java.io.Serializable;

/** A class with its own writeObject/readObject around defaultWriteObject, plus data of its own in the stream. */
public class CustomSerializedLayer implements Serializable {
    public static final String KEY = "dev.quant4j.it.model.CustomSerializedLayer#weights";

    @Serial
    private static final long serialVersionUID = 1L;

    @Quantize
    public float[] weights;

    public transient int extra;

    public CustomSerializedLayer(int size, long seed) {
        this.weights = Weights.flat(size, seed);
    }

    @Serial
    private void writeObject(ObjectOutputStream out) throws IOException {
        out.defaultWriteObject();
        out.writeInt(extra);
    }

    @Serial
    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        extra = in.readInt();
    }
}
