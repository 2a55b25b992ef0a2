#!/usr/bin/env bash
# Our MiniLM rows next to LangChain4j's float32 and int8 all-MiniLM-L6-v2 on ONNX Runtime, in one JVM
# (dev.quant4j.benchmarks.OnnxRuntimeComparison). Builds benchmarks (and what it needs) first.
#   benchmarks/compare-with-onnxruntime.sh [--passes N] [--sentences N] [--threads 1,2] [--schemes A,B:a8dyn]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
./mvnw -B -ntp -q package -DskipTests -pl benchmarks -am >&2
# ONNX Runtime unpacks its native library into java.io.tmpdir; DJL is not used (our tokenizer feeds both).
exec "$JAVA_HOME/bin/java" ${JAVA_OPTS:-} --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -cp "$root/benchmarks/target/classes:$(cat "$root/benchmarks/target/classpath.txt")" \
  dev.quant4j.benchmarks.OnnxRuntimeComparison "$@"
