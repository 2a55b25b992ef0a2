// llama.cpp (through node-llama-cpp's prebuilt CPU binaries) embeds the demo sentences with the GGUF
// files of `./quant4j demo --save-gguf DIR`, and each vector is compared with quant4j's own vector of
// the same sentence and variant (DIR/vectors.json), each set of ours that the file has (weight-only,
// a8dyn, a8ggml). Mean pooling comes from the file (bert.pooling_type); both sides are L2-normalised
// before the cosine. Prints RESULT lines; exits 1 when a target is missed.
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

// Our vector sets per file: weight-only (float32 activations), our dynamic W8A8 path (a8dyn, the twins
// only) and activations quantized by ggml's rule for each product (a8ggml: what llama.cpp computes).
const KINDS = [["", "weights only"], ["_a8dyn", "W8A8 a8dyn"], ["_a8ggml", "activations as ggml quantizes them"]];
// The Done-means targets: F32 against our float32 vectors, Q8_0 against the vectors computed as llama.cpp does.
const TARGETS = {"f32": 0.9999, "q8_0_a8ggml": 0.999};
const VARIANTS = ["f32", "q8_0", "q4_0", "q4_k", "q4_k_m"].filter((v) => ours[v] !== undefined);

const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
let failed = false;
const llamaF32 = [];
for (const variant of VARIANTS) {
    const model = await llama.loadModel({modelPath: path.join(dir, variant + ".gguf")});
    const context = await model.createEmbeddingContext({contextSize: 512, threads: 2});
    const theirs = [];
    for (let i = 0; i < ours.sentences.length; i++) {
        const e = await context.getEmbeddingFor(ours.sentences[i]);
        if (e.vector.length !== ours[variant][i].length) {
            throw new Error(`${variant}: llama.cpp gave ${e.vector.length} dimensions, ours ${ours[variant][i].length}`);
        }
        theirs.push(normalise(e.vector));
    }
    await context.dispose();
    await model.dispose();
    if (variant === "f32") llamaF32.push(...theirs);
    for (const [suffix, label] of KINDS) {
        const key = variant + suffix;
        if (ours[key] === undefined) continue;
        const cos = theirs.map((v, i) => cosine(v, normalise(ours[key][i])));
        const min = Math.min(...cos);
        const worst = cos.indexOf(min);
        const target = TARGETS[key];
        let verdict = "";
        if (target !== undefined) {
            verdict = min >= target ? ` (target min >= ${target}: met)` : ` (target min >= ${target}: MISSED)`;
            if (min < target) failed = true;
        }
        console.log(`RESULT ${variant}: ${cos.length} sentences, cosine llama.cpp vs quant4j ${key} (${label}) mean`
            + ` ${mean(cos).toFixed(7)} min ${min.toFixed(7)} (sentence ${worst})${verdict}`);
        if (variant !== "f32") {
            // How far each side's quantized vector is from its own float32 one: which side moves more.
            const llamaDrift = theirs.map((v, i) => cosine(v, llamaF32[i]));
            const oursDrift = ours[key].map((v, i) => cosine(normalise(v), normalise(ours.f32[i])));
            console.log(`RESULT ${variant}: cosine to its own f32 vector: llama.cpp mean ${mean(llamaDrift).toFixed(7)}`
                + ` min ${Math.min(...llamaDrift).toFixed(7)}, quant4j ${key} mean ${mean(oursDrift).toFixed(7)}`
                + ` min ${Math.min(...oursDrift).toFixed(7)}`);
        }
    }
}
process.exit(failed ? 1 : 0);
