# Sourced by the test scripts: the Python venv with `websockets`, made once
# in target/ (pip is the only thing it needs from outside).
venv=target/interop-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
# trustme: a CA and certificates for localhost, for the TLS runs; h2,
# hypercorn and aioquic: peers for WebSockets over HTTP/2 and HTTP/3.
"$venv/bin/pip" install --quiet --disable-pip-version-check "websockets==16.0" "trustme==1.2.1" \
    "h2==4.3.0" "hypercorn==0.18.0" "aioquic==1.3.0"
