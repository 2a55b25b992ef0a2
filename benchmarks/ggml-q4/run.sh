#!/usr/bin/env bash
# RMSE of 4-bit quantization on MiniLM's own weight matrices: quant4j's q4f:block32:f16 with MinMax and
# with the MSE search, against ggml's Q4_0 reference quantizer (the prebuilt libggml-base.so of npm
# @node-llama-cpp/linux-x64 3.21.1, the same peer as ../../../shared/peer-bench) on the same float32
# numbers. Prints the per-matrix and overall RMSE and the ratios to ggml.
# Usage: benchmarks/ggml-q4/run.sh [WORKDIR]   (needs the examples module built: ./quant4j demo --help)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${1:-${TMPDIR:-/tmp}/quant4j-ggml-q4}
mkdir -p "$work/matrices"
. "$root/.mvn/find-jdk.sh"
quant4j_find_jdk
cp="$root/examples/target/classes:$(cat "$root/examples/target/classpath.txt")"
"$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -cp "$cp" "$here/MiniLmRmse.java" "$work/matrices" \
  2>/dev/null | tee "$work/quant4j.txt"
lib="$work/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
if [ ! -d "$lib" ]; then
  (cd "$work" && npm i --no-save --no-audit --no-fund -E @node-llama-cpp/linux-x64@3.21.1 >/dev/null)
fi
gcc -O2 -o "$work/ggml_q4_rmse" "$here/ggml_q4_rmse.c" -ldl -lm
args=()
while read -r f r c; do args+=("$work/matrices/$f" "$r" "$c" -); done < "$work/matrices/index.txt"
"$work/ggml_q4_rmse" "$lib" "${args[@]}" | tee "$work/ggml.txt"
ggml=$(awk '/^RMSE ALL/ {print $3}' "$work/ggml.txt")
awk -v g="$ggml" '/^RMSE ALL/ {printf "%s: RMSE %s = %.4f x ggml Q4_0 (%s)\n", $3, $4, $4 / g, g}' "$work/quant4j.txt"
