#!/bin/sh
# build-rev.sh — build convblocks-bench as it was at a git revision, beside
# the working tree, so two versions can be timed side by side (bench/ab.sh,
# bench/check.sh).
#
#   bench/build-rev.sh REV DIR     (run in the repository; prints the binary's path)
#
# The commit is exported with `git archive` — committed files only, so
# uncommitted edits and build directories of the working tree never leak in —
# into DIR/<commit>/src and built in DIR/<commit>/build: Release, without the
# viewer, with $CMAKE_FLAGS, -j$JOBS (default 2). Called again for the same
# commit it reuses both (the build is a no-op); the directories of other
# commits under DIR are removed, so DIR holds one build at a time. Give it a
# DIR of its own. Exit: 0, 1 the build failed (its log is named), 2 usage or
# REV is not a commit of this repository.
set -eu
if [ $# -ne 2 ]; then
    echo "usage: bench/build-rev.sh REV DIR" >&2
    exit 2
fi
rev=$1 dir=$2
if ! sha=$(git rev-parse --verify --quiet "$rev^{commit}"); then
    echo "build-rev.sh: $rev: not a commit of this git repository" >&2
    exit 2
fi
mkdir -p "$dir"
for old in "$dir"/*; do
    if [ -d "$old" ] && [ "$(basename "$old")" != "$sha" ]; then rm -rf "$old"; fi
done
top=$dir/$sha
if [ ! -f "$top/src.done" ]; then
    # An interrupted export leaves no src.done: start that one again.
    rm -rf "$top/src"
    mkdir -p "$top/src"
    git archive --format=tar -o "$top/src.tar" "$sha"
    tar -xf "$top/src.tar" -C "$top/src"
    rm -f "$top/src.tar"
    touch "$top/src.done"
fi
if [ ! -f "$top/build/CMakeCache.txt" ]; then
    echo "build-rev.sh: building convblocks-bench of $sha in $top/build" >&2
    # shellcheck disable=SC2086  # CMAKE_FLAGS is a list of flags
    if ! cmake -S "$top/src" -B "$top/build" -DCMAKE_BUILD_TYPE=Release -DCB_BUILD_VIZ=OFF \
        ${CMAKE_FLAGS:-} > "$top/configure.log" 2>&1; then
        rm -f "$top/build/CMakeCache.txt"
        echo "build-rev.sh: $sha: cmake configure failed (see $top/configure.log)" >&2
        exit 1
    fi
fi
if ! cmake --build "$top/build" -j"${JOBS:-2}" --target convblocks-bench > "$top/build.log" 2>&1; then
    echo "build-rev.sh: $sha: build failed (see $top/build.log)" >&2
    exit 1
fi
echo "$top/build/convblocks-bench"
