#!/bin/sh
# The `build` target of every image. Nx runs it inside its own process (nx:run-commands),
# so a no-op run forks no node per image. It decides nothing: it compares what the full
# program (dist/build/main.bundle.js) wrote down with what the engine holds, and claims
# the image present only when they agree. The program's stamp (records/metadata.ts, one value
# per line) names the ref it holds for, the image id, the hash label that image carries, the
# settings key it was verified under, the client to ask and the engine. The image is present
# when the stamp's ref is this task's (<repository>:<hash>) and the engine holds the stamp's id
# under the ref and :latest with the stamp's label: read from the view the plugin's
# preTasksExecution hook took with one query for the whole run (BUILD_NX_IMAGES_VIEW), trusted
# when its header carries the settings key this environment gives (engines/types.ts settingsKey:
# the settings as given, not resolved); or else, when the stamp was verified under that same
# key, from one `image inspect` by the stamp's client. Anything else goes to the full program, which restores, pulls or builds,
# checks identity and records. A multi-platform image, which the program checks platform by
# platform, has no stamp. NX_IMAGES_PLAN=1 makes the run a preview: the same checks, no tag,
# no build, no record.
set -u
hash=${NX_TASK_HASH:-}
records=${NX_IMAGES_RECORDS:-}
nl='
'
# Children that only copy out of this image hash its exports.json: it must be there too.
# A preview of an image hashed on what it copies from parents asks the full program, which
# reads what those parents would do.
if [ -n "${NX_IMAGES_PLAN:-}" ] && [ -n "${NX_IMAGES_COPIES:-}" ]; then records=; fi
# Children hash exports.json's bytes: trusted only while they are the ones the program wrote
# (their sha256 is exports.id's second line); else the program writes them again.
if [ -n "${NX_IMAGES_EXPORTS:-}" ] && [ -n "$records" ]; then
  want=
  { IFS= read -r want && IFS= read -r want; } <"$records/exports.id" 2>/dev/null || want=
  got=$(sha256sum <"$records/exports.json" 2>/dev/null) || got=
  [ -n "$want" ] && [ "${got%% *}" = "$want" ] || records=
fi
id=
if [ -n "$hash" ] && [ -n "$records" ] && [ -z "${NX_IMAGES_ALWAYS_BUILD:-}" ] && [ -r "$records/stamp" ] &&
  { [ -z "${NX_IMAGES_EXPORTS:-}" ] || [ -r "$records/exports.json" ]; }; then
  # A stamp of fewer lines (half written by hand, or an older plugin's) claims nothing.
  { IFS= read -r id && IFS= read -r stamped && IFS= read -r label && IFS= read -r key &&
    IFS= read -r client && IFS= read -r engine; } <"$records/stamp" 2>/dev/null || id=
  id=${id#sha256:}
  ref="$NX_IMAGES_REPOSITORY:$hash"
  settings="settings1|${CONTAINER_ENGINE:-}|${CONTAINER_CLIENT:-}|${NX_IMAGES_ENGINE:-}|${NX_IMAGES_CLIENT:-}"
  settings="$settings|${DOCKER_HOST:-}|${DOCKER_CONTEXT:-}|${CONTAINER_HOST:-}|${CONTAINER_CONNECTION:-}|${CONTAINERS_STORAGE_CONF:-}"
  [ -n "$id" ] && [ "$stamped" = "$ref" ] || id=
fi
seen=
if [ -n "$id" ]; then
  # The engine's answer for every image, asked once when the run started
  # (engines/view.ts), trusted only when taken under the same settings.
  view=${BUILD_NX_IMAGES_VIEW:-}
  case $view in
  file:*)
    # With the Nx daemon the listing runs while Nx prepares the tasks, into this file
    # (file:<wait>:<path>): wait for it as long as the hook said, in hundredths of a second,
    # then ask the engine. "+" lines are the full program's.
    file=${view#file:}
    ticks=${file%%:*}
    file=${file#*:}
    view=
    case $ticks in '' | *[!0-9]*) ticks=0 file= ;; esac
    waited=0
    while [ -n "$file" ] && [ ! -e "$file" ] && [ "$waited" -lt "$ticks" ]; do
      sleep 0.01 2>/dev/null || waited=$ticks
      waited=$((waited + 1))
    done
    if [ -r "$file" ]; then
      while IFS= read -r line || [ -n "$line" ]; do
        case $line in "+"*) ;; *) view="$view$line$nl" ;; esac
      done <"$file"
    fi
    ;;
  esac
  if [ -n "$view" ] && [ "${view%%"$nl"*}" = "view2|$settings" ]; then
    case "$view$nl" in
    *"$nl$NX_IMAGES_REPOSITORY "*)
      line=${view#*"$nl$NX_IMAGES_REPOSITORY "}
      line=${line%%"$nl"*}
      # <id> <tags of that image in this repository> <its org.ffreis.nx-hash label>: the image
      # under :latest must carry this hash's tag and the stamp's label.
      rest=${line#* }
      tags=${rest%% *}
      held=${rest#"$tags"}
      held=${held# }
      case ",$tags," in *",$hash,"*) [ "$held" = "$label" ] && seen=${line%% *} ;; esac
      ;;
    esac
  elif [ "$key" = "$settings" ] && [ -n "$client" ]; then
    # No view taken under these settings: the stamp's client is this environment's only when the
    # stamp was verified under the same settings.
    format='{{.Id}} {{index .Config.Labels "org.ffreis.nx-hash"}}'
    # Bounded as the full program's engine queries are (IMAGE_ENGINE_TIMEOUT): a stuck engine
    # sends the run on to the program, which says so.
    bound=
    command -v timeout >/dev/null 2>&1 && bound="timeout ${IMAGE_ENGINE_TIMEOUT:-300}"
    both=$($bound "$client" image inspect --format "$format" "$ref" "$NX_IMAGES_REPOSITORY:latest" 2>/dev/null)
    [ "$both" = "$id $label$nl$id $label" ] || [ "$both" = "sha256:$id $label${nl}sha256:$id $label" ] && seen=$id
  fi
fi
# The run's key: the pid of its outermost nx process, as nx/runtime.ts's invocationRootPid reads it
# (Nx 23: NX_INVOCATION_ROOT_PID; Nx 24: the first of NX_INVOCATION_ANCESTOR_PIDS).
ancestors=${NX_INVOCATION_ANCESTOR_PIDS:-}
run=${NX_INVOCATION_ROOT_PID:-${ancestors%%,*}}
case $run in '' | *[!0-9]*) run=0 ;; esac
if [ -n "$id" ] && [ "${seen#sha256:}" = "$id" ]; then
  if [ -n "${NX_IMAGES_PLAN:-}" ]; then
    # A preview: its own mark (children read what their parents would do), never a run mark.
    [ -d "$records/plans" ] || mkdir -p "$records/plans"
    echo "$hash present" >"$records/plans/$run"
    # Nx names the task on each line (stream) or above them: the line does not repeat the name.
    echo "present $ref"
    exit 0
  fi
  # Present only once the run mark is written: a mark that cannot be written (a full disk, a
  # folder in its place) sends the run on to the full program, which says what and where.
  [ -d "$records/runs" ] || mkdir -p "$records/runs" 2>/dev/null
  if { echo "$hash" >"$records/runs/$run"; } 2>/dev/null; then
    echo "$NX_IMAGES_NAME: present $ref ($engine), no build needed"
    exit 0
  fi
fi
# The full program. Node reads every certificate NODE_EXTRA_CA_CERTS names as it starts (about
# 40 ms for a system bundle), yet a build opens no TLS connection of its own: the engine's client
# talks to registries. So a build starts without it, and the program (build/main.ts) puts it back
# for the engine's children. A preview asks registries itself, and keeps it; so does a
# multi-platform build, which asks the upstream's registry which platforms it holds.
case $0 in */*) bin=${0%/*} ;; *) bin=. ;; esac
multi=
if [ -n "${IMAGE_PLATFORMS:-}${NX_IMAGES_PLATFORMS:-}" ]; then multi=1; fi
case " $* " in *" --platforms"*) multi=1 ;; esac
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -z "${NX_IMAGES_PLAN:-}" ] && [ -z "$multi" ]; then
  NX_IMAGES_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS
  export NX_IMAGES_EXTRA_CA_CERTS
  unset NODE_EXTRA_CA_CERTS
fi
exec node "$bin/../dist/build/main.bundle.js" "$@"
