#!/usr/bin/env bash
# peso as an installed library (tests/packaging/CMakeLists.txt registers one
# ctest per mode). Everything is written under $PESO_PKG_WORK in the build tree.
#   install        cmake --install into a prefix; check what came and that the
#                  headers' includes all resolve inside include/peso
#   find_package   examples/consumer with find_package(peso), built, installed
#                  beside peso and run; then the prefix is moved and run again
#   pkg_config     the same program, built with $(pkg-config --cflags --libs peso)
#   deb            cpack's .deb unpacked with dpkg -x into a scratch root, the
#                  consumer built against it (CMake and pkg-config) and run
#   subdir_configure / subdir_build
#                  the consumer with add_subdirectory(peso's sources): configured
#                  only, or built (peso too, from scratch: minutes) and run
# Environment: PESO_BUILD (peso's build dir), PESO_SRC, PESO_PKG_WORK, CMAKE,
# CPACK, PESO_GENERATOR, PESO_CXX, PESO_LAUNCHER (may be empty).
set -euo pipefail
MODE=$1
W="$PESO_PKG_WORK"
PREFIX="$W/prefix"
export OMP_NUM_THREADS=1
unset PESO_GPT2_BPE_DIR PESO_DATA_DIR

fail() { echo "FAIL: $*" >&2; exit 1; }
launcher=()
[[ -n "${PESO_LAUNCHER:-}" ]] && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER="$PESO_LAUNCHER")

# build_consumer BUILD_DIR cmake-args...: examples/consumer, configured and built.
build_consumer() {
    local dir=$1; shift
    rm -rf "$dir"
    "$CMAKE" -S "$PESO_SRC/examples/consumer" -B "$dir" -G "$PESO_GENERATOR" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_CXX_COMPILER="$PESO_CXX" "${launcher[@]}" "$@" >"$dir.configure.log" 2>&1 \
        || { cat "$dir.configure.log"; fail "configuring the consumer ($*)"; }
    # Two jobs: the CI machine has two cores (peso itself is compiled here by subdir_build).
    "$CMAKE" --build "$dir" --parallel "${PESO_JOBS:-2}" >"$dir.build.log" 2>&1 \
        || { tail -50 "$dir.build.log"; fail "building the consumer"; }
}

# run_consumer PROGRAM EXPECTED_BPE_DIR [LIBDIR]: the program trains (its own
# check) and finds the BPE files where the install put them. LIBDIR: where a
# shared libpeso is (a program installed outside the system's paths needs
# LD_LIBRARY_PATH or an rpath of its own).
run_consumer() {
    local out
    out=$(LD_LIBRARY_PATH="${3:-}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$1") || { echo "$out"; fail "$1 failed"; }
    echo "$out"
    grep -q "^peso [0-9.]* (headers [0-9.]*)$" <<<"$out" || fail "$1 printed no version"
    if [[ -n "$2" ]]; then
        grep -qxF "gpt2 bpe dir: $2" <<<"$out" || fail "$1 looks for the BPE files elsewhere than $2"
    fi
}

# check_tree ROOT PREFIX_DIR: what an install must hold, and the header closure.
check_tree() {
    local p=$1 f
    for f in include/peso/peso.h include/peso/core/version.h include/peso/tensor/tensor.h \
             include/peso/nn/linear.h bin/peso share/peso/gpt2/encoder.json share/peso/gpt2/vocab.bpe \
             lib/cmake/peso/pesoConfig.cmake lib/cmake/peso/pesoConfigVersion.cmake \
             lib/cmake/peso/pesoTargets.cmake lib/pkgconfig/peso.pc; do
        [[ -e "$p/$f" ]] || fail "$p/$f is missing"
    done
    ls "$p"/lib/libpeso.* >/dev/null 2>&1 || fail "no libpeso in $p/lib"
    # Every quoted include of an installed header names a file of the tree
    # (root-relative under include/peso, or beside the header).
    local missing=0 hdr inc
    while IFS= read -r hdr; do
        while IFS= read -r inc; do
            [[ -e "$p/include/peso/$inc" || -e "$(dirname "$hdr")/$inc" ]] && continue
            echo "$hdr includes \"$inc\", which is not installed" >&2
            missing=1
        done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$hdr")
    done < <(find "$p/include/peso" -name '*.h')
    ((missing == 0)) || fail "installed headers include files that were not installed"
    [[ -z "$(find "$p/include/peso" -path '*/cuda/*' -o -path '*/backends/cpu/*' | head -1)" ]] \
        || fail "internal headers (backends/cuda, backends/cpu) were installed"
}

case "$MODE" in
install)
    rm -rf "$PREFIX"
    "$CMAKE" --install "$PESO_BUILD" --prefix "$PREFIX" --component peso >"$W/install.log" \
        || { cat "$W/install.log"; fail "cmake --install"; }
    check_tree "$PREFIX"
    [[ -z "$(find "$PREFIX" -name '*.py' -o -name '_C*.so' | head -1)" ]] || fail "the Python module went into the prefix"
    "$PREFIX/bin/peso" --version | grep -Eqx 'peso [0-9]+\.[0-9]+\.[0-9]+' || fail "peso --version"
    echo "installed into $PREFIX: $(find "$PREFIX" -type f | wc -l) files"
    ;;
find_package)
    build_consumer "$W/consumer" -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_INSTALL_PREFIX="$PREFIX"
    "$CMAKE" --install "$W/consumer" >/dev/null
    run_consumer "$PREFIX/bin/peso_consumer" "$PREFIX/share/peso/gpt2" "$PREFIX/lib"
    # Moved elsewhere, an install still finds its own files.
    rm -rf "$W/moved"
    cp -a "$PREFIX" "$W/moved"
    run_consumer "$W/moved/bin/peso_consumer" "$W/moved/share/peso/gpt2" "$W/moved/lib"
    ;;
pkg_config)
    flags=$(PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" pkg-config --cflags --libs peso) || fail "pkg-config peso"
    echo "pkg-config --cflags --libs peso: $flags"
    # shellcheck disable=SC2086  # the flags are words
    "$PESO_CXX" -std=c++20 -O1 "$PESO_SRC/examples/consumer/main.cpp" $flags -o "$W/pc_consumer" \
        || fail "building with pkg-config's flags"
    run_consumer "$W/pc_consumer" "" "$PREFIX/lib"
    ;;
deb)
    rm -rf "$W/deb" "$W/debroot"
    "$CPACK" --config "$PESO_BUILD/CPackConfig.cmake" -B "$W/deb" >"$W/cpack.log" 2>&1 \
        || { cat "$W/cpack.log"; fail "cpack"; }
    debs=("$W"/deb/*.deb)
    [[ -f "${debs[0]}" ]] || fail "cpack made no .deb"
    deb=${debs[0]}
    echo "$(basename "$deb"): $(du -k "$deb" | cut -f1) KiB"
    depends=$(dpkg-deb -f "$deb" Depends)
    echo "Depends: $depends"
    for d in libfmt-dev libopenblas-openmp-dev libdnnl-dev; do
        grep -q "$d" <<<"$depends" || fail "the .deb does not depend on $d"
    done
    dpkg -x "$deb" "$W/debroot"
    root="$W/debroot$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$PESO_BUILD/CMakeCache.txt")"
    check_tree "$root"
    build_consumer "$W/deb_consumer" -DCMAKE_PREFIX_PATH="$root"
    run_consumer "$W/deb_consumer/peso_consumer" ""
    ;;
subdir_configure)
    rm -rf "$W/subdir"
    # Ninja here whatever builds peso: the check below reads its build.ninja.
    "$CMAKE" -S "$PESO_SRC/examples/consumer" -B "$W/subdir" -G Ninja -DPESO_SOURCE_DIR="$PESO_SRC" \
        -DCMAKE_CXX_COMPILER="$PESO_CXX" "${launcher[@]}" -DPESO_CUDA=OFF >"$W/subdir.log" 2>&1 \
        || { cat "$W/subdir.log"; fail "configuring the consumer with add_subdirectory"; }
    # Inside another project peso builds its library only: no tests, no CLI, no Python module, no docs.
    targets=$(sed -n 's/^# Object build statements for \([A-Z_]*\) target \(.*\)$/\2/p' "$W/subdir/build.ninja")
    echo "targets:" $targets
    grep -qx "peso_consumer" <<<"$targets" || fail "no peso_consumer target"
    grep -qx "peso" <<<"$targets" || fail "no peso target"
    [[ $(wc -l <<<"$targets") -eq 2 ]] || fail "peso built more than its library inside another project"
    ! grep -q "^build docs:" "$W/subdir/build.ninja" || fail "peso defined a docs target inside another project"
    ;;
subdir_build)
    build_consumer "$W/subdir_build" -DPESO_SOURCE_DIR="$PESO_SRC" -DPESO_CUDA=OFF
    run_consumer "$W/subdir_build/peso_consumer" ""
    ;;
*) fail "unknown mode $MODE" ;;
esac
echo "OK: $MODE"
