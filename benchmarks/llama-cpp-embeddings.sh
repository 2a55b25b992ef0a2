#!/usr/bin/env bash
# Does llama.cpp compute the same sentence embeddings as quant4j from quant4j's exported GGUF files?
# Writes all-MiniLM-L6-v2 as BERT GGUF at F32, Q8_0 and Q4_0 with ./quant4j demo --save-gguf, installs
# node-llama-cpp (its prebuilt linux-x64 CPU build of llama.cpp, ~700 MB, once) into a work folder,
# embeds the demo sentences there and prints the cosine to quant4j's vectors per variant.
# Usage: benchmarks/llama-cpp-embeddings.sh [SENTENCES|all] [WORKDIR]
#   default: all 327 sentences, WORKDIR ${TMPDIR:-/tmp}/quant4j-llama-cpp (nothing is written in the repo)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
sentences=${1:-all}
work=${2:-${TMPDIR:-/tmp}/quant4j-llama-cpp}
mkdir -p "$work"
"$root/quant4j" demo --save-gguf "$work/gguf" --sentences "$sentences"
if [ ! -d "$work/node_modules/node-llama-cpp" ]; then
  (cd "$work" && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm i --no-save --no-audit --no-fund -E node-llama-cpp@3.21.1 >/dev/null)
fi
cp "$here/llama-cpp/embeddings.mjs" "$work/embeddings.mjs"
cd "$work" && node embeddings.mjs "$work/gguf"
