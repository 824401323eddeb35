#!/usr/bin/env bash
# Lists ebb's extern symbols whose prefix does not name their folder (DESIGN.md: "the path is
# the function prefix"; store_s3_put() lives in src/store/s3/).
#   scripts/check_prefixes.sh [--strict] [--all] [BUILD_DIR]
# BUILD_DIR (default build-asan) must hold a built libebbcore: the symbols come from nm on its
# object files, whose paths under CMakeFiles/ebbcore.dir/ are the defining source files.
# A symbol defined in src/a/b/f.c passes when it starts with a_, a_b_ or b_ (each folder of the
# path joined by '_', or the folder's own name: parquet_ in src/encode/parquet/), or with a
# prefix of that folder's allow-list below. Static symbols are not checked.
#   --strict  ignore the allow-lists (shows the tolerated prefixes too)
#   --all     print every extern symbol with its file and verdict, not only the flagged ones
# Exit status: 0 nothing flagged, 1 something flagged, 2 usage or no build.
set -euo pipefail
cd "$(dirname "$0")/.."

strict=false
all=false
build="build-asan"
for arg in "$@"; do
    case $arg in
    --strict) strict=true ;;
    --all) all=true ;;
    -h | --help)
        sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    -*)
        echo "check_prefixes.sh: unknown option $arg" >&2
        exit 2
        ;;
    *) build=$arg ;;
    esac
done

objdir=$build/CMakeFiles/ebbcore.dir
if [ ! -d "$objdir/src" ]; then
    echo "check_prefixes.sh: no object files under $objdir (run make build-asan first)" >&2
    exit 2
fi

# Per folder (path under src/), the prefixes allowed beside the folder's own. Each is a
# convention in use that renaming would only churn; keep the list short and say why.
allowed_prefixes() {
    case $1 in
    # small, self-describing utilities every stage uses
    common) echo "buf_ json_ log_ error_ time_ text_ sha256_ md5_ strlist_ sink_ hash_ cancel_
        testpoint_ retry_ url_ ebb_ row_" ;;
    # the interfaces, named after their struct (Compressor, Decompressor, Encoder)
    compress) echo "compressor_ decompressor_" ;;
    encode) echo "encoder_" ;;
    # the option table and what is resolved from it: used by every command
    config) echo "options_ option_ opt_ settings_ policies_ policy_" ;;
    # ebb verify still lives in archive/ (gc.c, verify.c): its own capability, to move to
    # src/verify/ once it no longer borrows archive's key layout
    archive) echo "verify_" ;;
    *) echo "" ;;
    esac
}

flagged=0
while read -r obj; do
    src=${obj#"$objdir"/}
    src=${src%.o}
    dir=$(dirname "${src#src/}")
    [ "$dir" = . ] && continue # src/main.c: no folder, no prefix
    prefixes=""
    joined=""
    IFS=/ read -ra parts <<<"$dir"
    for p in "${parts[@]}"; do
        joined=${joined:+${joined}_}$p
        prefixes+=" ${joined}_"
    done
    prefixes+=" ${parts[-1]}_"
    $strict || prefixes+=" $(allowed_prefixes "$dir")"
    # nm -g: extern only; --defined-only: this file's; skip ASan's own (__odr_asan.*, __asan_*)
    while read -r _ kind name; do
        case $name in __*) continue ;; esac
        ok=false
        for p in $prefixes; do
            case $name in "$p"*) ok=true && break ;; esac
        done
        if $ok; then
            $all && printf 'ok       %-40s %s %s\n' "$src" "$kind" "$name"
        else
            printf 'flagged  %-40s %s %s\n' "$src" "$kind" "$name"
            flagged=$((flagged + 1))
        fi
    done < <(nm -g --defined-only "$obj")
done < <(find "$objdir/src" -name '*.c.o' | sort)

if [ "$flagged" -gt 0 ]; then
    echo "check_prefixes.sh: $flagged extern symbols do not start with their folder's prefix" >&2
    exit 1
fi
