#!/usr/bin/env bash
# Prints C2's machine code for the hot product kernels at each vector width, through our Capstone hsdis
# plugin (benchmarks/hsdis; Debian: apt-get install -y libcapstone-dev).
#
#   benchmarks/disassemble.sh [--seconds S] [--widths "512 256 256avx2"]
#
# Runs dev.quant4j.benchmarks.HotLoops once per width with -XX:CompileCommand=print for the kernels below and
# writes benchmarks/target/disasm/<width>.txt (Intel syntax). Widths as in compare-widths.sh: 512, 256
# (-Dquant4j.vectorBits=256 on an AVX-512 CPU: EVEX/VL forms), 256avx2 (-XX:UseAVX=2: what an AVX2-only CPU
# gets), 128, 128sse (-XX:UseAVX=0).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$root/benchmarks/target/disasm}"
seconds=3
widths="512 256 256avx2"
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift ;;
    --widths) widths="$2"; shift ;;
    *) echo "usage: $0 [--seconds S] [--widths \"512 256 256avx2 128 128sse\"]" >&2; exit 2 ;;
  esac
  shift
done
. "$root/.mvn/find-jdk.sh"
quant4j_find_jdk
lib="$("$root/benchmarks/hsdis/build.sh")"
jar="$root/benchmarks/target/benchmarks.jar"
if [ ! -f "$jar" ] || [ -n "$(cd "$root" && find pom.xml */pom.xml */src/main -newer "$jar" -type f -print -quit)" ]; then
  (cd "$root" && ./mvnw -B -q -ntp -DskipTests package -pl benchmarks -am >&2)
fi
mkdir -p "$out"
kernels=(
  dev.quant4j.kernels.PanamaGemm::chain
  dev.quant4j.kernels.PanamaGemm::int8Tile
  dev.quant4j.kernels.PanamaProducts::q8Int8Row
  dev.quant4j.kernels.PanamaProducts::q4Int8Row
  dev.quant4j.kernels.PanamaProducts::q4RowPairs
  dev.quant4j.kernels.PanamaKernels::encodeBlock32Bytes
  dev.quant4j.kernels.PanamaKernels::quantizeRows32
)
prints=()
for k in "${kernels[@]}"; do prints+=("-XX:CompileCommand=print,$k"); done
for w in $widths; do
  case "$w" in
    512) flags=(-Dquant4j.vectorBits=512) ;;
    256) flags=(-Dquant4j.vectorBits=256) ;;
    256avx2) flags=(-XX:UseAVX=2 -Dquant4j.vectorBits=256) ;;
    128) flags=(-Dquant4j.vectorBits=128) ;;
    128sse) flags=(-XX:UseAVX=0 -Dquant4j.vectorBits=128) ;;
    *) echo "unknown width $w" >&2; exit 2 ;;
  esac
  echo "== $w: ${flags[*]}" >&2
  LD_LIBRARY_PATH="$(dirname "$lib")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$JAVA_HOME/bin/java" "${flags[@]}" \
    --add-modules jdk.incubator.vector -XX:+UnlockDiagnosticVMOptions -XX:PrintAssemblyOptions=intel \
    -XX:-TieredCompilation "${prints[@]}" -cp "$jar" dev.quant4j.benchmarks.HotLoops "$seconds" \
    > "$out/$w.txt" 2>&1
  grep -E '^  [a-zA-Z]' "$out/$w.txt" | grep 'best' >&2 || true
done
echo "outputs in $out" >&2
