#!/usr/bin/env bash
# Real kdb+ clients against a real ferroq server: pykx (KX's C API), qpython3, kola,
# aiokdb and qroissant, each from PyPI in its own venv (their numpy pins conflict).
#
#   tests/clients/run.sh [CLIENT...]      (default: all five)
#
# Venvs live in $FQ_CLIENT_VENVS (default target/client-venvs) and are reused while
# their requirements are unchanged. The script builds ferroq (debug), starts two servers
# (one open, one with a -u password file), runs tests/clients/harness.py with every
# client, and fails if any check fails. See docs/server.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venvs="${FQ_CLIENT_VENVS:-$root/target/client-venvs}"
py="${PYTHON:-python3}"
export PYKX_UNLICENSED=true PIP_DISABLE_PIP_VERSION_CHECK=1

declare -A REQS=(
  [pykx]="pykx==4.2.0 pandas pyarrow"
  [qpython3]="qpython3==1.0.1 numpy<2 pandas<2.3"
  [kola]="kola==2.6.1 numpy"
  [aiokdb]="aiokdb==0.1.38"
  [qroissant]="--only-binary :all: qroissant==0.2.0 pyarrow"
)
clients=("$@")
[ ${#clients[@]} -eq 0 ] && clients=(pykx qpython3 kola aiokdb qroissant)

mkdir -p "$venvs"
for c in "${clients[@]}"; do
  reqs="${REQS[$c]:?unknown client $c}"
  stamp="$venvs/$c/.fq-requirements"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$reqs" ]; then
    echo "== installing $c ($reqs)"
    rm -rf "${venvs:?}/$c"
    "$py" -m venv "$venvs/$c"
    # shellcheck disable=SC2086
    "$venvs/$c/bin/pip" install -q $reqs
    echo "$reqs" > "$stamp"
  fi
done

(cd "$root" && cargo build -q -p fq-cli)
ferroq="$root/target/debug/ferroq"

tmp="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 100); do
    "$py" -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "ferroq did not start listening on $1" >&2
  return 1
}

port=$(free_port)
auth_port=$(free_port)
printf 'alice:secret\nbob:%s\n' "$(printf 'pw' | md5sum | cut -d' ' -f1)" > "$tmp/users"
"$ferroq" -q -p "$port" < /dev/null > "$tmp/open.log" 2>&1 &
pids+=($!)
"$ferroq" -q -p "$auth_port" -u "$tmp/users" < /dev/null > "$tmp/auth.log" 2>&1 &
pids+=($!)
wait_port "$port"
wait_port "$auth_port"

# A non-loopback address of this machine: there the server compresses as kdb+ does.
remote="$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+\.' | grep -v '^127\.' | head -1 || true)"
if [ -z "$remote" ]; then
  echo "note: no non-loopback IPv4 address; compression runs over loopback (uncompressed)"
  remote=127.0.0.1
fi

failed=()
for c in "${clients[@]}"; do
  echo "== $c"
  if ! "$venvs/$c/bin/python" "$here/harness.py" "${c}_client" 127.0.0.1 "$port" "$auth_port" "$remote"; then
    failed+=("$c")
  fi
done
for p in "${pids[@]}"; do
  kill -0 "$p" 2>/dev/null || { echo "a ferroq server died during the run" >&2; cat "$tmp"/*.log >&2; exit 1; }
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "real clients FAILED: ${failed[*]}" >&2
  cat "$tmp/open.log" >&2
  exit 1
fi
echo "real clients: all passed (${clients[*]})"
