package dev.quant4j.model;

import java.util.List;

/**
 * A model written the way users write them, for the runtime tests; its visitor
 * ({@link TinyModel_Quantization}) is written by hand where the processor would generate one.
 */
class TinyModel {
    int rows;
    int cols;
    float[] w; // @Quantize(value = Q4F, level = BLOCK, blockSize = 8) @Dims({"rows", "cols"})
    float[][] m; // @Quantize (Burn's default, q8s per tensor)
    QuantizableTensor h; // @Quantize(param = F16)
    float[] bias; // not annotated: state, never quantized
    TinyBlock[] blocks;
    List<TinyBlock> extra;

    TinyModel(int rows, int cols, int blocks) {
        this.rows = rows;
        this.cols = cols;
        this.blocks = new TinyBlock[blocks];
        for (int i = 0; i < blocks; i++) {
            this.blocks[i] = new TinyBlock();
        }
        this.extra = List.of(new TinyBlock());
    }
}
