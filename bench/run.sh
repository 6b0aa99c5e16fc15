#!/usr/bin/env bash
# Throughput of connectd against nginx on the same machine, in the same run.
# Starts build/connectd (SQLite in a temp dir, access log to a file as in production) and nginx (bench/nginx.conf.template)
# on free loopback ports, warms both up, then runs wrk against each figure in FIGURES, alternating
# nginx, connectd, nginx, connectd ... (BENCH_ROUNDS times each) and reports the BEST round of each
# side. nginx always answers the same fixed {"status":"ok"}, so the ratio says how close connectd
# gets to a server that does no work at all. Only ratios mean anything: the machines are shared.
#
# Env: CONNECTD_BIN (default build/connectd), BENCH_DURATION (wrk -d, default 10s),
#      BENCH_THREADS (wrk -t, 2), BENCH_CONNECTIONS (wrk -c, 100), BENCH_ROUNDS (2),
#      BENCH_WORKERS (connectd --workers and nginx worker_processes, 2), BENCH_ACCESS_LOG (connectd
#      --access-log: default a file in the temp dir; 'off' to measure without it), BENCH_FIGURES
#      (space-separated names to run a subset, default all), BENCH_KEEP=1 keeps the temp dir (logs,
#      config) for inspection.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
connectd_bin="${CONNECTD_BIN:-$repo/build/connectd}"
duration="${BENCH_DURATION:-10s}"
threads="${BENCH_THREADS:-2}"
conns="${BENCH_CONNECTIONS:-100}"
rounds="${BENCH_ROUNDS:-2}"
workers="${BENCH_WORKERS:-2}"

# The figures to measure: "name path expect [script]". nginx serves its fixed 200 reply at every
# path and for every method. expect is what connectd must answer: "2xx" (wrk's non-2xx count is
# reported as a warning) or an exact status such as "404" for a figure that measures a path that
# has no route yet (its non-2xx count is expected; one probe request before and one after the
# rounds check the exact status instead, so a 401 or 429 would still be reported). script names
# a wrk Lua script (method, body, headers) written to the temp dir below; none means a plain GET.
#   token      POST /user/oauth/token, Basic auth of the bench client, grant_type=client_credentials.
#              Token reuse hands back the same token every time, so this measures client
#              authentication (secret check) plus the token lookup.
#   capi-auth  GET /capi/v1/client/ping with that client's bearer token: authenticated, but no
#              route yet, so 404 NoHandlerFound. It measures the bearer-authentication path.
#   customer-10k, customer-1m
#              GET /capi/v1/client/customer/info/{customerNumber} (List customer info - client
#              mode) for a random customer of the bench partner on every request, after
#              `connectd import customers` has loaded 10k (then 1M) customers into the running
#              server's database. The import rate and, after customer-1m, connectd's resident
#              memory are printed with the figures.
FIGURES=(
    "healthz /healthz 2xx"
    "token /user/oauth/token 2xx token.lua"
    "capi-auth /capi/v1/client/ping 404 capi-auth.lua"
    "customer-10k /capi/v1/client/customer/info/1000000 2xx customer-10k.lua"
    "customer-1m /capi/v1/client/customer/info/1000000 2xx customer-1m.lua"
)

# The client the OAuth and customer figures use: unlimited rates (0), a fixed secret, and the
# partner the customers are imported for.
bench_client="bench.client"
bench_secret="bench-secret-0123456789abcdef"
bench_partner="bench"
# The customer figures' database sizes (BENCH_CUSTOMERS_SMALL / _LARGE shrink them for a quick
# run) and the first customer number.
customers_small="${BENCH_CUSTOMERS_SMALL:-10000}"
customers_large="${BENCH_CUSTOMERS_LARGE:-1000000}"
first_customer=1000000

die() { echo "bench: $*" >&2; exit 1; }

for tool in wrk nginx curl; do
    command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps.sh bench)"
done
[[ -x "$connectd_bin" ]] || die "$connectd_bin not found (build first: make, or ninja -C build)"

tmp="$(mktemp -d /tmp/connectd-bench.XXXXXX)"
chmod 755 "$tmp"
connectd_pid=""
nginx_pid=""

cleanup() {
    local rc=$?
    if [[ -n "$connectd_pid" ]] && kill -0 "$connectd_pid" 2>/dev/null; then
        kill -TERM "$connectd_pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$connectd_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$connectd_pid" 2>/dev/null || true
    fi
    if [[ -n "$nginx_pid" ]] && kill -0 "$nginx_pid" 2>/dev/null; then
        kill -QUIT "$nginx_pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$nginx_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$nginx_pid" 2>/dev/null || true
    fi
    wait 2>/dev/null || true
    if [[ "${BENCH_KEEP:-0}" == 1 || $rc -ne 0 ]]; then
        echo "bench: logs kept in $tmp" >&2
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {  # port pid name
    for _ in $(seq 1 100); do
        port_open "$1" && return 0
        kill -0 "$2" 2>/dev/null || die "$3 exited at start (see $tmp)"
        sleep 0.1
    done
    die "$3 did not open port $1 within 10 s (see $tmp)"
}

# --- start nginx ---------------------------------------------------------------------------
nginx_port="$(free_port)"
sed -e "s|@PORT@|$nginx_port|g" -e "s|@PREFIX@|$tmp|g" -e "s|@WORKERS@|$workers|g" \
    "$repo/bench/nginx.conf.template" >"$tmp/nginx.conf"
nginx -p "$tmp" -e "$tmp/nginx-error.log" -c "$tmp/nginx.conf" >"$tmp/nginx.out" 2>&1 &
nginx_pid=$!
wait_port "$nginx_port" "$nginx_pid" nginx

# --- register the bench client, start connectd ---------------------------------------------
"$connectd_bin" client add --db "sqlite:$tmp/bench.db" --id "$bench_client" --grants client_credentials \
    --secret "$bench_secret" --token-rate 0 --capi-rate 0 --partner "$bench_partner" >"$tmp/client-add.out" 2>&1 ||
    { cat "$tmp/client-add.out" >&2; die "connectd client add failed"; }
connectd_port="$(free_port)"
"$connectd_bin" serve --listen "127.0.0.1:$connectd_port" --db "sqlite:$tmp/bench.db" \
    --workers "$workers" --access-log "${BENCH_ACCESS_LOG:-$tmp/access.log}" >"$tmp/connectd.out" 2>"$tmp/connectd.err" &
connectd_pid=$!
for _ in $(seq 1 100); do
    grep -q "listening on 127.0.0.1:$connectd_port" "$tmp/connectd.err" 2>/dev/null && break
    kill -0 "$connectd_pid" 2>/dev/null || { cat "$tmp/connectd.err" >&2; die "connectd exited at start"; }
    sleep 0.1
done
grep -q "listening on 127.0.0.1:$connectd_port" "$tmp/connectd.err" ||
    { cat "$tmp/connectd.err" >&2; die "connectd not ready within 10 s"; }

# --- wrk scripts for the figures that need a method, body or headers ------------------------
warn=()
basic="$(printf '%s:%s' "$bench_client" "$bench_secret" | base64 -w0)"
cat >"$tmp/token.lua" <<EOF
wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $basic"
EOF
access_token="$(curl -s -m 10 -u "$bench_client:$bench_secret" -d grant_type=client_credentials \
    "http://127.0.0.1:$connectd_port/user/oauth/token" |
    /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])' 2>/dev/null)" ||
    access_token=""
if [[ -z "$access_token" ]]; then
    warn+=("capi-auth: no token from /user/oauth/token, so that figure measures a 401 path")
    access_token="no-token"
fi
cat >"$tmp/capi-auth.lua" <<EOF
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer $access_token"
EOF
# customer_script NAME COUNT: a random one of the first COUNT customers on every request (each
# wrk thread seeds its own generator).
customer_script() {
    cat >"$tmp/$1" <<EOF
local first, count = $first_customer, $2
local headers = {["Authorization"] = "Bearer $access_token"}
init = function(args)
    math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
end
request = function()
    return wrk.format("GET", "/capi/v1/client/customer/info/" .. (first + math.random(0, count - 1)), headers)
end
EOF
}
customer_script customer-10k.lua "$customers_small"
customer_script customer-1m.lua "$customers_large"

# customers_up_to N: imports customers into the running server's database until it has N,
# recording the import rate.
customers_loaded=0
notes=()
customers_up_to() {
    local want=$1 n t0 t1
    (( want > customers_loaded )) || return 0
    n=$(( want - customers_loaded ))
    t0=$(date +%s.%N)
    /usr/bin/python3 "$repo/bench/customers.py" $(( first_customer + customers_loaded )) "$n" |
        "$connectd_bin" import customers - --db "sqlite:$tmp/bench.db" --partner "$bench_partner" \
            >>"$tmp/import.out" 2>&1 || { cat "$tmp/import.out" >&2; die "importing customers failed"; }
    t1=$(date +%s.%N)
    notes+=("$(awk -v n="$n" -v a="$t0" -v b="$t1" -v total="$want" \
        'BEGIN {printf "import: %d customers (to %d) in %.1f s, %.0f customers/s", n, total, b - a, n / (b - a)}')")
    echo "bench: ${notes[-1]}" >&2
    customers_loaded=$want
}

# setup_figure NAME: what a figure needs before it runs.
setup_figure() {
    case "$1" in
        customer-10k) customers_up_to "$customers_small" ;;
        customer-1m) customers_up_to "$customers_large" ;;
    esac
}

# rss_note: connectd's resident memory (anonymous, and file-backed: SQLite maps the database).
rss_note() {
    awk '/^VmRSS|^RssAnon|^RssFile/ {v[$1] = $2} END {printf "connectd resident memory %.0f MB (anonymous %.0f MB, mapped database and files %.0f MB)", v["VmRSS:"] / 1024, v["RssAnon:"] / 1024, v["RssFile:"] / 1024}' "/proc/$connectd_pid/status"
}

# --- measure -------------------------------------------------------------------------------
# run_wrk URL DURATION [SCRIPT] -> prints "req_per_sec p99_ms non2xx socket_errors"
run_wrk() {
    local out rps p99 non2xx errs script=()
    [[ -n "${3:-}" ]] && script=(-s "$tmp/$3")
    out="$(wrk -t"$threads" -c"$conns" -d"$2" --latency "${script[@]}" "$1" 2>&1)" ||
        { echo "$out" >&2; die "wrk failed on $1"; }
    echo "$out" >>"$tmp/wrk.log"
    rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
    p99="$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}' <<<"$out")"
    non2xx="$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")"
    errs="$(awk '/Socket errors:/ {n=0; for (i=3;i<=NF;i++) if ($i ~ /^[0-9]+,?$/) {x=$i; sub(/,/,"",x); n+=x}; print n}' <<<"$out")"
    echo "${rps:-0} ${p99:-nan} ${non2xx:-0} ${errs:-0}"
}

# probe_status PORT PATH [SCRIPT] -> HTTP status of one request made like the figure's requests
probe_status() {
    local args=()
    case "${3:-}" in
        token.lua) args=(-u "$bench_client:$bench_secret" -d grant_type=client_credentials) ;;
        capi-auth.lua|customer-*.lua) args=(-H "Authorization: Bearer $access_token") ;;
    esac
    curl -s -o /dev/null -w '%{http_code}' -m 10 "${args[@]}" "http://127.0.0.1:$1$2" || true
}

# status_ok STATUS EXPECT -> whether STATUS is what the figure expects of connectd
status_ok() { if [[ "$2" == 2xx ]]; then [[ "$1" == 2?? ]]; else [[ "$1" == "$2" ]]; fi; }

echo "bench: wrk -t$threads -c$conns -d$duration --latency; $rounds rounds alternating nginx/connectd, best round reported"
echo "bench: $(nproc) CPUs, connectd --workers $workers, nginx worker_processes $workers; $(uname -srm)"

rows=()
for fig in "${FIGURES[@]}"; do
    read -r name path expect script <<<"$fig"
    if [[ -n "${BENCH_FIGURES:-}" && " $BENCH_FIGURES " != *" $name "* ]]; then continue; fi
    setup_figure "$name"
    st="$(probe_status "$nginx_port" "$path" "$script")"
    [[ "$st" == 200 ]] || warn+=("$name: nginx answered $st to the probe request")
    st="$(probe_status "$connectd_port" "$path" "$script")"
    status_ok "$st" "$expect" || warn+=("$name: connectd answered $st before the rounds (expected $expect)")
    # warm up both (JIT-free, but page cache, connection pools, CPU frequency)
    run_wrk "http://127.0.0.1:$nginx_port$path" 2s "$script" >/dev/null
    run_wrk "http://127.0.0.1:$connectd_port$path" 2s "$script" >/dev/null
    best_n=0; best_n_p99=nan; best_c=0; best_c_p99=nan
    for r in $(seq 1 "$rounds"); do
        read -r rps p99 non2xx errs < <(run_wrk "http://127.0.0.1:$nginx_port$path" "$duration" "$script")
        echo "bench: $name round $r nginx    $rps req/s p99 ${p99}ms" >&2
        [[ "$non2xx" != 0 ]] && warn+=("$name: nginx gave $non2xx non-2xx responses in round $r")
        if awk -v a="$rps" -v b="$best_n" 'BEGIN {exit !(a > b)}'; then best_n=$rps; best_n_p99=$p99; fi
        read -r rps p99 non2xx errs < <(run_wrk "http://127.0.0.1:$connectd_port$path" "$duration" "$script")
        echo "bench: $name round $r connectd $rps req/s p99 ${p99}ms" >&2
        [[ "$expect" == 2xx && "$non2xx" != 0 ]] && warn+=("$name: connectd gave $non2xx non-2xx responses in round $r")
        [[ "$errs" != 0 ]] && warn+=("$name: connectd had $errs socket errors in round $r")
        if awk -v a="$rps" -v b="$best_c" 'BEGIN {exit !(a > b)}'; then best_c=$rps; best_c_p99=$p99; fi
    done
    st="$(probe_status "$connectd_port" "$path" "$script")"
    status_ok "$st" "$expect" || warn+=("$name: connectd answered $st after the rounds (expected $expect)")
    ratio="$(awk -v c="$best_c" -v n="$best_n" 'BEGIN {if (n > 0) printf "%.2f", c / n; else print "n/a"}')"
    [[ "$expect" == 2xx ]] || name="$name($expect)"
    rows+=("$name $best_n $best_c $ratio $best_n_p99 $best_c_p99")
    if [[ "$name" == customer-1m ]]; then notes+=("at $customers_large customers: $(rss_note)"); fi
done

kill -0 "$connectd_pid" 2>/dev/null || die "connectd died during the benchmark (see $tmp/connectd.err)"

echo
printf "%-16s %14s %16s %8s %14s %16s\n" figure "nginx req/s" "connectd req/s" ratio "nginx p99 ms" "connectd p99 ms"
for row in "${rows[@]+"${rows[@]}"}"; do
    read -r name n c ratio np cp <<<"$row"
    printf "%-16s %14.0f %16.0f %8s %14s %16s\n" "$name" "$n" "$c" "$ratio" "$np" "$cp"
done
for note in "${notes[@]+"${notes[@]}"}"; do
    echo "$note"
done
for w in "${warn[@]+"${warn[@]}"}"; do
    echo "WARNING: $w"
done
