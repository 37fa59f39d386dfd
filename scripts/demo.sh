#!/usr/bin/env bash
# The demo on a fresh machine: makes (or reuses) .venv, installs the package with its demo extra (JupyterLab: no
# test tools), then serves JupyterLab on notebooks/quickstart.ipynb and prints its URL.
#
# Nothing else runs in the background: the quickstart notebook starts its own sandbox (a local FlyteAdmin over
# real gRPC, with scripted executions) inside the kernel. So the notebook also works when opened from any other
# Jupyter, a kernel restart gives a fresh sandbox, and one Ctrl-C here stops JupyterLab, its kernels and with
# them the sandbox.
#
# Environment: PORT (JupyterLab's port, default 8888), JUPYTER_TOKEN (default: a random one),
# FLYTEEXEC_DEMO_SPEED (how many times faster than real time the sandbox plays, default 1),
# FLYTEEXEC_DEMO_SKIP_INSTALL=1 (use .venv as it is), PYTHON (the interpreter that makes .venv),
# FLYTEEXEC_DEMO_ROOT (the folder JupyterLab serves, default notebooks/).
# Arguments are passed on to JupyterLab (e.g. --LabApp.expose_app_in_browser=True).
#
# JupyterLab's "get notified about Jupyter news?" toast is turned off (it covers the widget's Approve button): the
# default settings in scripts/demo-jupyter-config/ are added to JupyterLab's search path; settings you chose
# yourself still win.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${FLYTEEXEC_DEMO_SKIP_INSTALL:-0}" != 1 ]; then
  PY=${PYTHON:-python3}
  if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
  fi
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[demo]'
fi

PORT=${PORT:-8888}
TOKEN=${JUPYTER_TOKEN:-$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(16))')}
args=(
  --no-browser
  --ServerApp.ip=127.0.0.1
  "--port=$PORT"
  --ServerApp.port_retries=0
  "--IdentityProvider.token=$TOKEN"
  "--ServerApp.root_dir=${FLYTEEXEC_DEMO_ROOT:-$PWD/notebooks}"
  --ServerApp.answer_yes=True  # Ctrl-C stops at once (no "Shutdown this Jupyter server (y/[n])?" prompt)
)
if [ "$(id -u)" = 0 ]; then
  args+=(--allow-root)
fi

export JUPYTER_CONFIG_PATH="$PWD/scripts/demo-jupyter-config${JUPYTER_CONFIG_PATH:+:$JUPYTER_CONFIG_PATH}"

echo "Open the quickstart in your browser (Ctrl-C here stops JupyterLab, its kernels and the sandbox):"
echo "    http://127.0.0.1:$PORT/lab/tree/quickstart.ipynb?token=$TOKEN"
echo "On a remote machine, forward the port first: ssh -L $PORT:127.0.0.1:$PORT <host>"
# exec: Ctrl-C (SIGINT) and SIGTERM reach JupyterLab itself, which shuts its kernels down.
exec .venv/bin/python -m jupyterlab "${args[@]}" "$@"
