// llama.cpp (through node-llama-cpp's prebuilt CPU binaries) embeds the demo sentences with the GGUF
// files of `./quant4j demo --save-gguf DIR`, and each vector is compared with quant4j's own vector of
// the same sentence and variant (DIR/vectors.json). Mean pooling comes from the file (bert.pooling_type);
// both sides are L2-normalised before the cosine. Prints one RESULT line per variant.
// Usage: node embeddings.mjs DIR
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import {readFileSync} from "node:fs";
import path from "node:path";

const dir = process.argv[2];
if (!dir) {
    console.error("usage: node embeddings.mjs DIR (written by ./quant4j demo --save-gguf DIR)");
    process.exit(2);
}
const ours = JSON.parse(readFileSync(path.join(dir, "vectors.json"), "utf8"));
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});

function normalise(v) {
    let s = 0;
    for (const x of v) s += x * x;
    const n = Math.sqrt(s);
    return Array.from(v, (x) => x / n);
}

function cosine(a, b) {
    let d = 0;
    for (let i = 0; i < a.length; i++) d += a[i] * b[i];
    return d;
}

let failed = false;
const llamaF32 = [];
for (const [variant, target] of [["f32", 0.9999], ["q8_0", 0.999], ["q4_0", null]]) {
    const model = await llama.loadModel({modelPath: path.join(dir, variant + ".gguf")});
    const context = await model.createEmbeddingContext({contextSize: 512, threads: 2});
    const cos = [];
    const llamaDrift = [];
    const oursDrift = [];
    for (let i = 0; i < ours.sentences.length; i++) {
        const e = await context.getEmbeddingFor(ours.sentences[i]);
        if (e.vector.length !== ours[variant][i].length) {
            throw new Error(`${variant}: llama.cpp gave ${e.vector.length} dimensions, ours ${ours[variant][i].length}`);
        }
        const v = normalise(e.vector);
        cos.push(cosine(v, normalise(ours[variant][i])));
        if (variant === "f32") llamaF32.push(v);
        else {
            // How far each side's quantized vector is from its own float32 one: which side moves more.
            llamaDrift.push(cosine(v, llamaF32[i]));
            oursDrift.push(cosine(normalise(ours[variant][i]), normalise(ours.f32[i])));
        }
    }
    await context.dispose();
    await model.dispose();
    const mean = cos.reduce((a, b) => a + b, 0) / cos.length;
    const min = Math.min(...cos);
    const worst = cos.indexOf(min);
    const verdict = target === null ? "" : min >= target ? ` (target min >= ${target}: met)` : ` (target min >= ${target}: MISSED)`;
    if (target !== null && min < target) failed = true;
    console.log(`RESULT ${variant}: ${cos.length} sentences, cosine llama.cpp vs quant4j mean ${mean.toFixed(7)}`
        + ` min ${min.toFixed(7)} (sentence ${worst})${verdict}`);
    if (variant !== "f32") {
        const m = (a) => (a.reduce((x, y) => x + y, 0) / a.length).toFixed(7);
        console.log(`RESULT ${variant}: cosine to its own f32 vector: llama.cpp mean ${m(llamaDrift)} min`
            + ` ${Math.min(...llamaDrift).toFixed(7)}, quant4j mean ${m(oursDrift)} min ${Math.min(...oursDrift).toFixed(7)};`
            + ` worst sentence: llama.cpp ${llamaDrift[worst].toFixed(7)}, quant4j ${oursDrift[worst].toFixed(7)}`);
    }
}
process.exit(failed ? 1 : 0);
