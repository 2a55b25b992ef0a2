#!/usr/bin/env bash
# Builds benchmarks/hsdis/build/hsdis-amd64.so, a HotSpot disassembler plugin over Capstone
# (Debian: apt-get install -y libcapstone-dev). Use it with
#   LD_LIBRARY_PATH=benchmarks/hsdis/build java -XX:+UnlockDiagnosticVMOptions -XX:+PrintAssembly ...
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ ! -f /usr/include/capstone/capstone.h ]; then
  echo "capstone headers missing: apt-get install -y libcapstone-dev" >&2
  exit 2
fi
mkdir -p "$here/build"
gcc -O2 -fPIC -shared -fvisibility=hidden -Wall -Wextra -o "$here/build/hsdis-amd64.so" \
  "$here/hsdis-capstone.c" -lcapstone
echo "$here/build/hsdis-amd64.so"
