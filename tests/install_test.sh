#!/bin/sh
# install_test.sh — install the build into a temporary prefix and build a
# program against it the way a user would, with pkg-config alone.
#
#   tests/install_test.sh BUILD_DIR SOURCE_DIR C_COMPILER
set -eu
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd) cc=$3
prefix=$(mktemp -d "${TMPDIR:-/tmp}/cb-install.XXXXXX")
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >"$prefix.log" 2>&1 || { cat "$prefix.log"; rm -f "$prefix.log"; exit 1; }
rm -f "$prefix.log"

pc=$(find "$prefix" -name convblocks.pc)
[ -n "$pc" ] || { echo "install_test: no convblocks.pc installed" >&2; exit 1; }
for h in status tensor npy ops graph cost block net exec fast; do
    [ -f "$prefix/include/convblocks/$h.h" ] || { echo "install_test: include/convblocks/$h.h not installed" >&2; exit 1; }
done
[ -x "$prefix/bin/convblocks" ] || { echo "install_test: bin/convblocks not installed" >&2; exit 1; }
"$prefix/bin/convblocks" --help >/dev/null
echo "installed: $(cd "$prefix" && find bin lib -type f | sort | tr '\n' ' ')"

export PKG_CONFIG_PATH="$(dirname "$pc")"
flags="$(pkg-config --cflags --libs convblocks)"
echo "pkg-config --cflags --libs convblocks: $flags"
cd "$prefix"
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Wextra -Werror -o consumer "$src/tests/install_consumer.c" $flags
# (a shared libconvblocks is found through LD_LIBRARY_PATH, as for any
# library installed outside the loader's paths)
LD_LIBRARY_PATH="$(pkg-config --variable=libdir convblocks)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ./consumer
