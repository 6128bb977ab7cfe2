# Sourced by the test scripts: the Python venv with `websockets`, made once
# in target/ (pip is the only thing it needs from outside).
venv=target/interop-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "websockets==16.0"
