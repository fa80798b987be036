#!/bin/sh
# The `build` target of every image. Nx runs it inside its own process (nx:run-commands),
# so a no-op run forks no node per image. The fast path: when the engine holds this
# hash's image under <repo>:<hash>, with the id the last build recorded and verified (its
# stamp; an id is the digest of the image's config, labels included), and :latest points
# at the same image, the image is present and nothing else runs. What the engine holds
# comes from the view the plugin's preTasksExecution hook took with one query for the
# whole run (BUILD_NX_IMAGES_VIEW, which carries each image's hash label), or, without a
# view for this engine and store, from one `image inspect`; either way the image's
# org.ffreis.nx-hash label must be this hash. Anything else goes to the full program (dist/build/main.bundle.js), which
# restores, pulls or builds, checks identity and records. Options a project.json sets on
# the target (`target`) arrive as arguments, which the program reads. NX_IMAGES_PLAN=1 makes
# the run a preview: the same checks, no tag, no build, no record.
set -u
hash=${NX_TASK_HASH:-}
records=${NX_IMAGES_RECORDS:-}
nl='
'
# Children that only copy out of this image hash its exports.json: it must be there too.
# A preview of an image hashed on what it copies from parents asks the full program, which
# reads what those parents would do.
if [ -n "${NX_IMAGES_PLAN:-}" ] && [ -n "${NX_IMAGES_COPIES:-}" ]; then records=; fi
# A multi-platform image is one image per platform: the full program checks each of them.
multi=
if [ -n "${IMAGE_PLATFORMS:-}${NX_IMAGES_PLATFORMS:-}" ]; then multi=1; fi
case " $* " in *" --platforms"*) multi=1 ;; esac
[ -z "$multi" ] || records=
# Children hash exports.json's bytes: trusted only while they are the ones the program wrote
# (their sha256 is exports.id's second line); else the program writes them again.
if [ -n "${NX_IMAGES_EXPORTS:-}" ] && [ -n "$records" ]; then
  want=
  { IFS= read -r want && IFS= read -r want; } <"$records/exports.id" 2>/dev/null || want=
  got=$(sha256sum <"$records/exports.json" 2>/dev/null) || got=
  [ -n "$want" ] && [ "${got%% *}" = "$want" ] || records=
fi
if [ -n "$hash" ] && [ -n "$records" ] && [ -z "${NX_IMAGES_ALWAYS_BUILD:-}" ] && [ -r "$records/stamp" ] &&
  { [ -z "${NX_IMAGES_EXPORTS:-}" ] || [ -r "$records/exports.json" ]; }; then
  engine=${CONTAINER_ENGINE:-$NX_IMAGES_ENGINE}
  if [ -n "${CONTAINER_CLIENT:-}" ]; then client=$CONTAINER_CLIENT
  elif [ -n "${CONTAINER_ENGINE:-}" ]; then client=$engine
  else client=${NX_IMAGES_CLIENT:-$engine}; fi
  # A docker client for podman (or the reverse) is an error the full program explains.
  case "${client##*/}" in docker | podman) [ "${client##*/}" = "$engine" ] || client= ;; esac
  id=
  IFS= read -r id <"$records/stamp" || :
  id=${id#sha256:}
  ref="$NX_IMAGES_REPOSITORY:$hash"
  seen=
  # The engine's answer for every image, asked once when the run started
  # (plugin/engine-view.ts), trusted only for the same engine, client and store.
  view=${BUILD_NX_IMAGES_VIEW:-}
  case $view in
  file:*)
    # With the Nx daemon the listing runs while Nx prepares the tasks, into this file:
    # wait for it (2 s at most), then ask the engine. "+" lines are the full program's.
    file=${view#file:}
    view=
    waited=0
    while [ ! -e "$file" ] && [ "$waited" -lt 200 ]; do
      sleep 0.01 2>/dev/null || waited=200
      waited=$((waited + 1))
    done
    if [ -r "$file" ]; then
      while IFS= read -r line || [ -n "$line" ]; do
        case $line in "+"*) ;; *) view="$view$line$nl" ;; esac
      done <"$file"
    fi
    ;;
  esac
  store="${DOCKER_HOST:-}|${DOCKER_CONTEXT:-}|${CONTAINER_HOST:-}|${CONTAINER_CONNECTION:-}|${CONTAINERS_STORAGE_CONF:-}"
  header="view1|$engine|$client|$store"
  if [ -n "$client" ] && [ -n "$view" ] && [ "${view%%"$nl"*}" = "$header" ]; then
    case "$view$nl" in
    *"$nl$NX_IMAGES_REPOSITORY "*)
      line=${view#*"$nl$NX_IMAGES_REPOSITORY "}
      line=${line%%"$nl"*}
      # <id> <tags of that image in this repository> <its org.ffreis.nx-hash label>: the image
      # under :latest must carry this hash's tag and this hash as its label.
      rest=${line#* }
      tags=${rest%% *}
      label=${rest#"$tags"}
      label=${label# }
      case ",$tags," in *",$hash,"*) [ "$label" = "$hash" ] && seen=${line%% *} ;; esac
      ;;
    esac
  elif [ -n "$client" ]; then
    format='{{.Id}} {{index .Config.Labels "org.ffreis.nx-hash"}}'
    # Bounded as the full program's engine queries are (IMAGE_ENGINE_TIMEOUT): a stuck engine
    # sends the run on to the program, which says so.
    bound=
    command -v timeout >/dev/null 2>&1 && bound="timeout ${IMAGE_ENGINE_TIMEOUT:-300}"
    both=$($bound "$client" image inspect --format "$format" "$ref" "$NX_IMAGES_REPOSITORY:latest" 2>/dev/null)
    [ "$both" = "$id $hash$nl$id $hash" ] || [ "$both" = "sha256:$id $hash${nl}sha256:$id $hash" ] && seen=$id
  fi
  if [ -n "$id" ] && [ "${seen#sha256:}" = "$id" ]; then
    if [ -n "${NX_IMAGES_PLAN:-}" ]; then
      # A preview: its own mark (children read what their parents would do), never a run mark.
      [ -d "$records/plans" ] || mkdir -p "$records/plans"
      echo "$hash present" >"$records/plans/${NX_INVOCATION_ROOT_PID:-0}"
      # Nx names the task on each line (stream) or above them: the line does not repeat the name.
      echo "present $ref"
      exit 0
    fi
    # Present only once the run mark is written: a mark that cannot be written (a full disk, a
    # folder in its place) sends the run on to the full program, which says what and where.
    [ -d "$records/runs" ] || mkdir -p "$records/runs" 2>/dev/null
    if { echo "$hash" >"$records/runs/${NX_INVOCATION_ROOT_PID:-0}"; } 2>/dev/null; then
      echo "$NX_IMAGES_NAME: present $ref ($engine), no build needed"
      exit 0
    fi
  fi
fi
# The full program. Node reads every certificate NODE_EXTRA_CA_CERTS names as it starts (about
# 40 ms for a system bundle), yet a build opens no TLS connection of its own: the engine's client
# talks to registries. So a build starts without it, and the program (build/main.ts) puts it back
# for the engine's children. A preview asks registries itself, and keeps it; so does a
# multi-platform build, which asks the upstream's registry which platforms it holds.
case $0 in */*) bin=${0%/*} ;; *) bin=. ;; esac
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -z "${NX_IMAGES_PLAN:-}" ] && [ -z "$multi" ]; then
  NX_IMAGES_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS
  export NX_IMAGES_EXTRA_CA_CERTS
  unset NODE_EXTRA_CA_CERTS
fi
exec node "$bin/../dist/build/main.bundle.js" "$@"
