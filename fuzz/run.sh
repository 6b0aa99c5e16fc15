#!/usr/bin/env bash
# fuzz/run.sh — builds the libFuzzer targets in fuzz/ with clang (ASan + UBSan + LSan) into
# build-fuzz/ and runs them. `fuzz/run.sh` (0 s, what `make test` runs) replays each target's
# seed corpus fuzz/corpus/<target>/ once; `fuzz/run.sh 60` fuzzes every target for 60 s,
# writing new inputs to build-fuzz/corpus/<target>/ (never into git). Exits non-zero and names
# the reproducer when any target crashes, leaks, times out or trips an invariant.
set -u

DURATION=${1:-0}
case $DURATION in
'' | *[!0-9]*) echo "usage: fuzz/run.sh [SECONDS]" >&2; exit 2 ;;
esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${FUZZ_OUT:-$ROOT/build-fuzz}
CC=${CC_FUZZ:-clang}
cd "$ROOT" || exit 2

# target: the src/ files it links (paths relative to src/).
declare -A SOURCES=(
    [fuzz_json]="codec/json.c codec/date.c util/buf.c"
    [fuzz_xml]="codec/xml_read.c codec/xml_write.c codec/json.c codec/date.c util/buf.c"
    [fuzz_body]="codec/body.c codec/xml_read.c codec/xml_write.c codec/json.c codec/date.c util/buf.c"
    [fuzz_validate]="codec/validate.c util/syntax.c codec/xml_read.c codec/xml_write.c codec/json.c codec/date.c util/buf.c"
    [fuzz_date]="codec/date.c codec/validate.c util/syntax.c codec/json.c util/buf.c"
    [fuzz_path]="http/path.c http/form.c"
    [fuzz_form]="http/form.c"
    [fuzz_negotiate]="http/negotiate.c"
    [fuzz_router]="router.c http/path.c http/form.c util/buf.c"
    [fuzz_basic]="oauth/basic.c http/form.c"
    [fuzz_extid_code]="oauth/extid_code.c codec/date.c util/crypto.c util/buf.c util/utf8.c"
)
TARGETS=(fuzz_json fuzz_xml fuzz_body fuzz_validate fuzz_date fuzz_path fuzz_form fuzz_negotiate fuzz_router fuzz_basic fuzz_extid_code)
# A new target needs an entry above; say so rather than silently skipping it.
for f in fuzz/fuzz_*.c; do
    t=$(basename "$f" .c)
    [ -n "${SOURCES[$t]+x}" ] || echo "fuzz: warning: $f has no entry in SOURCES in fuzz/run.sh; not run" >&2
done
if [ -n "${FUZZ_TARGETS:-}" ]; then # e.g. FUZZ_TARGETS="fuzz_json fuzz_xml" fuzz/run.sh 30
    read -r -a TARGETS <<<"$FUZZ_TARGETS"
fi

CFLAGS="-g -O1 -std=c11 -D_GNU_SOURCE -DH2O_USE_LIBUV=0 -fsanitize=fuzzer,address,undefined \
-fno-sanitize-recover=undefined -Wall -Wextra -Werror -Isrc $(pkg-config --cflags libxml-2.0)"
LIBS="$(pkg-config --libs libxml-2.0) -ljansson -lh2o-evloop -ljwt -lcrypto -lm -lpthread"

# Sanitizer settings are ours, not inherited: a run must mean the same everywhere.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp:print_suppressions=0"

mkdir -p "$OUT/bin" "$OUT/log"

# ---- build (each target from its sources; skipped when nothing it reads is newer) ----------

stamp="$OUT/bin/flags"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$CC $CFLAGS $LIBS" ]; then
    rm -f "$OUT"/bin/fuzz_*
    printf '%s' "$CC $CFLAGS $LIBS" >"$stamp"
fi

build() {
    local t=$1 bin="$OUT/bin/$1" srcs=()
    for s in ${SOURCES[$t]}; do srcs+=("src/$s"); done
    if [ -x "$bin" ] && [ -z "$(find src "fuzz/$t.c" -name '*.[ch]' -newer "$bin" | head -n 1)" ]; then
        return 0
    fi
    # shellcheck disable=SC2086
    $CC $CFLAGS "fuzz/$t.c" "${srcs[@]}" -o "$bin.tmp" $LIBS >"$OUT/log/$t.build" 2>&1 &&
        mv "$bin.tmp" "$bin"
}

pids=()
for t in "${TARGETS[@]}"; do
    if [ -z "${SOURCES[$t]+x}" ]; then
        echo "fuzz: unknown target $t" >&2
        exit 2
    fi
    build "$t" &
    pids+=($!)
done
failed=0
for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
        echo "fuzz: build of ${TARGETS[$i]} failed:" >&2
        cat "$OUT/log/${TARGETS[$i]}.build" >&2
        failed=1
    fi
done
[ $failed = 0 ] || exit 1

# ---- dictionaries (tokens the parsers branch on; generated so they live with this script) ----

dict_for() {
    local words=()
    case $1 in
    fuzz_json | fuzz_validate)
        words=('{' '}' '[' ']' ':' ',' '\"' '\\u' '\\ud83d\\ude00' 'true' 'false' 'null' '-0' '1e308'
            '0.01' '\"id\"' '\"name\"' '\"postalCode\"' '\"countryCode\"' '\"status\"' '\"copies\"'
            '\"rate\"' '\"price\"' '\"active\"' '\"start\"' '\"emails\"' '\"types\"' '\"extra\"'
            'ACTIVE' 'home' '9223372036854775807' '-9223372036854775808' '2019-06-12T10:15:30Z') ;;&
    fuzz_xml | fuzz_body | fuzz_validate)
        words+=('<?xml version=\"1.0\"?>' '<!DOCTYPE' '<![CDATA[' ']]>' '<!--' '-->' '<?' '?>' '&amp;'
            '&#13;' '&#x' 'xmlns:x=\"u\"' 'encoding=\"UTF-16\"' '<a>' '</a>' '<a/>' '<data>' '</data>') ;;&
    fuzz_body)
        words+=('application/json' 'application/xml' 'text/xml' '+json' '+xml' '; charset=utf-8' '\xef\xbb\xbf') ;;
    fuzz_date)
        words=('T' 'Z' ':' '-' '.' '+' '+02:00' '-0500' '1970-01-01' '2019-06-12T10:15:30' '5000000000'
            '-9223372036854775807' '9223372036854775807') ;;
    fuzz_path | fuzz_router)
        words=('/' '//' '%2F' '%00' '%' '/capi/v1/' 'customer' 'privacy' 'access' 'invoice' 'payment'
            'category' 'type' 'subscription' 'share' 'client' 'coupon' 'price' 'product' 'user' 'profile') ;;
    fuzz_form)
        words=('&' '=' '+' '%' '%00' '%2B' '%3D' '%26' 'grant_type' 'true' 'false') ;;
    fuzz_basic)
        words=('Basic ' 'Bearer ' 'basic' '=' '==' ':' '%' '%2B' '%00' '%3A' '+' '/' ' ' '\x09' 'dXNlcjpwYXNz') ;;
    fuzz_extid_code)
        words=('.' 'eyJ' 'eyJhbGciOiJIUzUxMiJ9' 'eyJhbGciOiJub25lIn0' 'eyJhbGciOiJIUzI1NiJ9' '-' '_' '=') ;;
    fuzz_negotiate)
        words=('application/json' 'application/xml' 'text/xml' 'application/*' 'text/*' '*/*' ',' ';q=' 'q=0'
            '0.5' '1.000' '\"' '+xml') ;;
    esac
    for w in "${words[@]}"; do printf '"%s"\n' "$w"; done
}

# ---- run ------------------------------------------------------------------------------------

status=0
for t in "${TARGETS[@]}"; do
    bin="$OUT/bin/$t"
    seeds="fuzz/corpus/$t"
    log="$OUT/log/$t.log"
    mkdir -p "$OUT/crashes"
    if [ "$DURATION" = 0 ]; then
        # Regression: each seed once. Files are passed explicitly so an empty corpus is an error.
        mapfile -t files < <(find "$seeds" -type f | sort)
        if [ ${#files[@]} = 0 ]; then
            echo "fuzz: $t: no seeds in $seeds" >&2
            status=1
            continue
        fi
        if "$bin" -detect_leaks=1 -timeout=10 -rss_limit_mb=2048 "${files[@]}" >"$log" 2>&1; then
            echo "fuzz: $t: ${#files[@]} seeds ok"
        else
            # The first failure ends the process: replay one by one to name every failing seed.
            for f in "${files[@]}"; do
                if ! "$bin" -detect_leaks=1 -timeout=10 -rss_limit_mb=2048 "$f" >"$log.one" 2>&1; then
                    why=$(grep -m 1 -E 'invariant failed|runtime error|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)' "$log.one")
                    echo "fuzz: $t: FAILED on $f: $why" >&2
                    cat "$log.one" >>"$log"
                fi
            done
            rm -f "$log.one"
            status=1
        fi
    else
        scratch="$OUT/corpus/$t"
        dict_for "$t" >"$OUT/$t.dict"
        mkdir -p "$scratch"
        before=$(find "$OUT/crashes" -name "$t-*" -type f | wc -l)
        "$bin" -max_total_time="$DURATION" -max_len=4096 -rss_limit_mb=2048 -timeout=10 \
            -detect_leaks=1 -use_value_profile=1 -dict="$OUT/$t.dict" -print_final_stats=1 \
            -artifact_prefix="$OUT/crashes/$t-" \
            "$scratch" "$seeds" >"$log" 2>&1
        rc=$?
        stats=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1)
        execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
        echo "fuzz: $t: rc=$rc ${execs:-?} exec/s; $stats"
        after=$(find "$OUT/crashes" -name "$t-*" -type f | wc -l)
        if [ $rc != 0 ] || [ "$after" != "$before" ]; then
            echo "fuzz: $t: FOUND A PROBLEM (log $log):" >&2
            grep -E 'ERROR|invariant failed|runtime error|SUMMARY|Test unit written' "$log" | head -n 8 >&2
            status=1
        fi
    fi
done
exit $status
