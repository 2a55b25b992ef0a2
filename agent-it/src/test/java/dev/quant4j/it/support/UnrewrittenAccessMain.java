package dev.quant4j.it.support;

import dev.quant4j.fields.QuantizedFields;
import dev.quant4j.it.model.CopyableLayer;
import dev.quant4j.it.model.FieldQuantizer;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Field;

/** Quantizes three layers, then reads one through the accesses the agent does not rewrite. */
public final class UnrewrittenAccessMain {
    private UnrewrittenAccessMain() {}

    public static void main(String[] args) throws Throwable {
        CopyableLayer layer = null;
        for (int i = 0; i < 3; i++) {
            layer = new CopyableLayer(500, i);
            FieldQuantizer.quantize(layer, CopyableLayer.KEY, layer.weights, l -> l.weights = null);
        }
        Field f = CopyableLayer.class.getField("weights");
        System.out.println("field.get=" + f.get(layer));
        Object viaHandle = MethodHandles.lookup()
                .findGetter(CopyableLayer.class, "weights", float[].class)
                .invoke(layer);
        System.out.println("methodHandle=" + viaHandle);
        VarHandle vh = MethodHandles.lookup().findVarHandle(CopyableLayer.class, "weights", float[].class);
        System.out.println("varHandle=" + vh.get(layer));
        float[] read = (float[]) QuantizedFields.read(layer, null, CopyableLayer.KEY);
        System.out.println("quantizedFields.read=" + read.length);
    }
}
