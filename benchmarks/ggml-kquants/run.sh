#!/usr/bin/env bash
# Are quant4j's ggml quantizers (GgmlQuants: Q4_K, Q6_K, Q5_0, Q8_0) ggml's own, byte for byte?
# Installs ggml's prebuilt CPU libraries (npm @node-llama-cpp/linux-x64 3.21.1, ~30 MB, once) into a work
# folder, quantizes seeded inputs there with ggml's reference quantizers (quantize_row_*_ref), then with
# quant4j's, and prints per type whether the bytes are identical and each side's relative RMSE.
# Usage: benchmarks/ggml-kquants/run.sh [SUPER_BLOCKS] [WORKDIR]
#   default: 4096 super-blocks of 256 values; WORKDIR ${TMPDIR:-/tmp}/quant4j-ggml-kquants
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
blocks=${1:-4096}
work=${2:-${TMPDIR:-/tmp}/quant4j-ggml-kquants}
mkdir -p "$work/data"
lib="$work/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
if [ ! -d "$lib" ]; then
  (cd "$work" && npm i --no-save --no-audit --no-fund -E @node-llama-cpp/linux-x64@3.21.1 >/dev/null)
fi
gcc -O2 -o "$work/ggml_quantize" "$here/ggml_quantize.c" -ldl -lm
"$work/ggml_quantize" "$lib" "$work/data" "$blocks"
. "$root/.mvn/find-jdk.sh"
quant4j_find_jdk
(cd "$root" && JAVA_HOME="$JAVA_HOME" ./mvnw -B -q -ntp -pl runtime -am compile)
"$JAVA_HOME/bin/java" -cp "$root/runtime/target/classes:$root/scheme/target/classes:$root/annotations/target/classes" \
  "$here/KQuantCheck.java" "$work/data"
