#!/usr/bin/env bash
# The workspace on the newest Nx the plugin's peer range covers (nx 24.0.7, @nx/devkit 24.0.0,
# the newest in the registry here), besides its own 23.3: a copy of the workspace gets them
# over its own install, compiles the plugin, runs the unit suite, and builds the chain twice
# (cold, then all present) under a prefix of its own. Needs what .ci/engine.sh starts (its
# exports in the environment). Leaves nothing behind but the images it tagged, which it removes.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NX_VERSION=${NX24_VERSION:-24.0.7}
DEVKIT_VERSION=${NX24_DEVKIT_VERSION:-24.0.0}
PREFIX=ci-nx24
CLIENT=${CONTAINER_CLIENT:-docker}

copy=$(mktemp -d /tmp/nx24-XXXXXX)
cleanup() {
  "$CLIENT" images --format '{{.Repository}}:{{.Tag}}' | grep "^$PREFIX/" | xargs -r "$CLIENT" rmi --force >/dev/null 2>&1 || :
  rm -rf "$copy"
}
trap cleanup EXIT

cd "$ROOT"
git ls-files -co --exclude-standard -z | while IFS= read -r -d '' file; do
  [[ -f $file ]] && install -D -m "$(stat -c %a "$file")" "$file" "$copy/$file"
done
cd "$copy"
# A repository of its own: the unit suite and the plugin read what git tracks or ignores.
git init -q && git add -A

echo "[nx24] npm ci, then nx $NX_VERSION and @nx/devkit $DEVKIT_VERSION over it"
npm ci --no-audit --no-fund --prefer-offline >/dev/null
npm install --no-audit --no-fund --prefer-offline --no-save --legacy-peer-deps "nx@$NX_VERSION" "@nx/devkit@$DEVKIT_VERSION" >/dev/null
node -e "const v = require('nx/package.json').version; if (v !== '$NX_VERSION') { console.error('nx is ' + v); process.exit(1); }"
npm run build:plugin >/dev/null

echo "[nx24] unit suite"
npx vitest run --project unit

# Images of its own, never the workspace's: another prefix (after the unit suite, whose snapshots hold the shipped one).
sed -i "s#=ffreis/#=$PREFIX/#" images/*/Dockerfile
sed -i "s#\"prefix\": \"ffreis\"#\"prefix\": \"$PREFIX\"#" nx.json
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
echo "[nx24] cold build of the chain"
npx nx run-many -t build --output-style=static
echo "[nx24] second build: every image present"
npx nx run-many -t build --output-style=static
node -e '
  const images = require("./dist/images/summary.json").images;
  const notPresent = images.filter((i) => i.status !== "present");
  if (images.length !== 5 || notPresent.length > 0) { console.error("not all present:", JSON.stringify(images)); process.exit(1); }
  console.log("[nx24] all five present");
'

# Nx 23.3 ends a failed run with the daemon on with 130 (skipped tasks get no result, and the
# summary hook runs in the daemon, where it cannot turn that into 1); Nx 24 exits 1.
echo "[nx24] a failed build with the Nx daemon on: exit 1, and the summary reaches the pipe"
sed -i 's/"Hello, Nx!"/"Hello, broken!"/' app/tests/test_lib.py
set +e
NX_DAEMON=true npx nx run-many -t build --output-style=static 2>&1 | tee failed.log
code=${PIPESTATUS[0]}
set -e
NX_DAEMON=true npx nx daemon --stop >/dev/null 2>&1 || :
if [[ $code -ne 1 ]]; then
  echo "[nx24] the failed build exited $code, not 1" >&2
  exit 1
fi
if ! grep -Eq '^  builder +failed .*\(its output is above\)' failed.log || ! grep -Eq '^  runner +skipped .*\(parent builder failed\)' failed.log; then
  echo "[nx24] the failed build's summary did not reach the pipe" >&2
  exit 1
fi
echo "[nx24] exit 1, with the summary"
