#!/usr/bin/env bash
# echo_server under hostile timing and at scale, as a user would see it:
# 1,100 silent sockets must not lock a legitimate client out and must be
# dropped at the handshake deadline; 10,000 open WebSockets, with the
# server's RSS per connection, over ws:// and over wss://. Installs what it needs (pip).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

. "$root/tests/interop/python-env.sh"
cargo build --release --quiet --example echo_server

# Each socket is a file descriptor on both sides.
ulimit -n "$(ulimit -Hn)"
port=9301
timeout=3
./target/release/examples/echo_server --addr "127.0.0.1:$port" --handshake-timeout "$timeout" \
    > target/lifecycle-echo.log 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done

"$venv/bin/python" "$here/lockout.py" "$port" "$timeout"
"$venv/bin/python" "$here/hold.py" "$port" "$server" "${HOLD_CONNECTIONS:-10000}"

# The same over TLS: a server of its own, with a certificate for localhost
# from a CA made here.
kill "$server"
certs="$root/target/lifecycle-certs"
mkdir -p "$certs"
"$venv/bin/python" -m trustme -q -d "$certs" -i localhost
./target/release/examples/echo_server --addr "127.0.0.1:$port" \
    --tls-cert "$certs/server.pem" --tls-key "$certs/server.key" > target/lifecycle-tls-echo.log 2>&1 &
server=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
"$venv/bin/python" "$here/hold.py" "$port" "$server" "${HOLD_CONNECTIONS:-10000}" "$certs/client.pem"
