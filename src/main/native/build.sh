#!/usr/bin/env bash
# Builds libdynchan_c10d.so (see dynchan_c10d.cpp) into $1. Run by Maven (process-classes); needs g++ and a JDK.
# It links against an empty stand-in that only carries libtorch_cpu.so's soname: the shim then lists
# libtorch_cpu.so as needed, and at load time the dynamic linker binds it to the libtorch_cpu.so DJL already loaded
# (matched by soname), so no libtorch is needed to build it and no second copy is loaded to run it.
set -euo pipefail
out="$1"
here="$(cd "$(dirname "$0")" && pwd)"
java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
if [ -f "$out/libdynchan_c10d.so" ] && [ "$out/libdynchan_c10d.so" -nt "$here/dynchan_c10d.cpp" ] \
    && [ "$out/libdynchan_c10d.so" -nt "$0" ]; then
  exit 0
fi
echo 'void dynchan_soname_stand_in() {}' > "$tmp/stand_in.c"
gcc -shared -fPIC -o "$tmp/libtorch_cpu.so" -Wl,-soname,libtorch_cpu.so "$tmp/stand_in.c"
g++ -std=c++17 -O2 -fPIC -shared -D_GLIBCXX_USE_CXX11_ABI=1 -I"$java_home/include" -I"$java_home/include/linux" \
  -o "$tmp/libdynchan_c10d.so" "$here/dynchan_c10d.cpp" -L"$tmp" -Wl,--no-as-needed -ltorch_cpu -Wl,--as-needed \
  -static-libgcc
mv "$tmp/libdynchan_c10d.so" "$out/libdynchan_c10d.so"
