#!/usr/bin/env bash
# cmake --install gives a working CLI, bash completion and a CMake package: installs the build into
# a temporary prefix, builds tests/package (find_package(quant)) against it and runs it.
# Usage: package_test.sh BUILD_DIR SOURCE_DIR
set -u
. "$2/tests/lib.sh" "" "$2"
BUILD=$1
PREFIX="$WORK/prefix"
if cmake --install "$BUILD" --prefix "$PREFIX" > "$WORK/install.log" 2>&1; then ok "cmake --install"; else fail "cmake --install: $(tail -c 400 "$WORK/install.log")"; fi
for f in bin/quantize lib/libquant_core.a lib/cmake/quant/quantConfig.cmake include/quant/interp/interpreter.h \
         share/bash-completion/completions/quantize; do
  [ -e "$PREFIX/$f" ] && ok "installed $f" || fail "missing $f"
done
"$PREFIX/bin/quantize" --version | grep -q "^quantize 0" && ok "the installed quantize runs" || fail "installed quantize --version"

if cmake -S "$SRC/tests/package" -B "$WORK/example" -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_BUILD_TYPE=Release > "$WORK/configure.log" 2>&1 &&
   cmake --build "$WORK/example" -j 2 > "$WORK/build.log" 2>&1; then
  ok "a project with find_package(quant) configures and builds"
else
  fail "example project: $(tail -c 600 "$WORK/configure.log" "$WORK/build.log")"
fi
out=$("$WORK/example/run_model" "$SRC/testdata/models/smallcnn.onnx" 2>&1)
[ "$out" = "$(printf 'logits float32[1, 10]\nm0_q31(0.01) 1374389535')" ] && ok "it runs a model through the library: $(echo $out)" || fail "run_model: $out"

# Completion: subcommands, then a subcommand's options, from the installed binary's help.
words=$(PATH="$PREFIX/bin:$PATH" bash -c ". '$PREFIX/share/bash-completion/completions/quantize'
  COMP_WORDS=(quantize sw); COMP_CWORD=1; _quantize; echo \${COMPREPLY[@]}
  COMP_WORDS=(quantize infer --emu); COMP_CWORD=2; _quantize; echo \${COMPREPLY[@]}")
[ "$words" = "$(printf 'sweep\n--emulate')" ] && ok "bash completion: sweep, --emulate" || fail "completion gave: $words"
finish
