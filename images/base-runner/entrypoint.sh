#!/bin/sh
# Runs the app's module with the venv's interpreter; arguments go to the app.
set -eu
cd /app
exec "${VIRTUAL_ENV:-/opt/venv}/bin/python" -m "${APP_MODULE:-main}" "$@"
