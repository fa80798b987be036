#!/bin/sh
# The `build` target of every image. Nx runs it inside its own process (nx:run-commands),
# so a no-op run forks no node per image. The fast path: when the engine holds this
# hash's image under <repo>:<hash>, labelled with this hash, with the id the last build
# recorded (its stamp), and :latest points at the same image, the image is present and
# nothing else runs. Anything else goes to the full program (dist/build/main.js), which
# restores, pulls or builds, checks identity and records. Options a project.json sets on
# the target (`target`) arrive as arguments, which the program reads.
set -u
hash=${NX_TASK_HASH:-}
records=${NX_IMAGES_RECORDS:-}
# Children that only copy out of this image hash its exports.json: it must be there too.
if [ -n "$hash" ] && [ -n "$records" ] && [ -z "${NX_IMAGES_ALWAYS_BUILD:-}" ] && [ -r "$records/stamp" ] &&
  { [ -z "${NX_IMAGES_EXPORTS:-}" ] || [ -r "$records/exports.json" ]; }; then
  engine=${CONTAINER_ENGINE:-$NX_IMAGES_ENGINE}
  if [ -n "${CONTAINER_CLIENT:-}" ]; then client=$CONTAINER_CLIENT
  elif [ -n "${CONTAINER_ENGINE:-}" ]; then client=$engine
  else client=${NX_IMAGES_CLIENT:-$engine}; fi
  # A docker client for podman (or the reverse) is an error the full program explains.
  case "${client##*/}" in docker | podman) [ "${client##*/}" = "$engine" ] || client= ;; esac
  if [ -n "$client" ]; then
    ref="$NX_IMAGES_REPOSITORY:$hash"
    seen=$("$client" image inspect --format '{{.Id}} {{index .Config.Labels "org.ffreis.nx-hash"}}' "$ref" "$NX_IMAGES_REPOSITORY:latest" 2>/dev/null)
    id=$(cat "$records/stamp")
    if [ -n "$id" ] && [ "$seen" = "$id $hash
$id $hash" ]; then
      mkdir -p "$records/runs" && echo "$hash" >"$records/runs/${NX_INVOCATION_ROOT_PID:-0}"
      echo "$NX_IMAGES_NAME: present $ref ($engine), no build needed"
      exit 0
    fi
  fi
fi
exec node "$(dirname "$0")/../dist/build/main.js" "$@"
