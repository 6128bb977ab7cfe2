# Sourced by the test scripts: the Python venv with `websockets`, made once
# in target/ (pip is the only thing it needs from outside).
venv=target/interop-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
# trustme: a CA and certificates for localhost, for the TLS runs.
"$venv/bin/pip" install --quiet --disable-pip-version-check "websockets==16.0" "trustme==1.2.1"
