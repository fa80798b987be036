#!/usr/bin/env bash
# Installs and starts what the integration tests need on a fresh Debian machine:
# a Docker engine (Debian's docker.io, its own dockerd), podman, a registry on
# 127.0.0.1:5000 and a Debian base image built with debootstrap, pushed to that
# registry and pinned by digest. Idempotent: a second run reuses what is there.
# Prints the `export` lines a build on this machine needs (the pin, the client on
# PATH, the network, podman's config): eval the output.
#
# What it changes on the machine: Debian packages (docker.io, docker-registry,
# debootstrap, podman, qemu-user-static, binfmt-support, curl) when missing; a root
# dockerd on /var/run/docker.sock (data in /var/lib/docker) and a registry on
# 127.0.0.1:5000 (data in /tmp/ffreis-registry) when none answers; binfmt_misc for
# arm64; the cache folder below (the Debian rootfs, busybox, a bin/ with a docker
# link). The pids of what it started go to $STATE_DIR.
#
#   bash .ci/engine.sh         install, start, print the exports
#   bash .ci/engine.sh stop    stop the dockerd and the registry it started (and nothing else)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

CACHE_DIR=${CI_CACHE_DIR:-/var/cache/ffreis-images-ci}
STATE_DIR=${ENGINE_STATE_DIR:-/run/ffreis-images-ci}
REGISTRY_ADDR=${REGISTRY_ADDR:-127.0.0.1:5000}
REGISTRY_DIR=${REGISTRY_DIR:-/tmp/ffreis-registry}
SUITE=${DEBIAN_SUITE:-bookworm}
# The Debian mirror apt already uses on this machine (deb822 sources first, then the
# one-line format); DEBIAN_MIRROR overrides it. No mirror's host is written here.
apt_mirror() {
  local uri
  uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
    /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
  [[ -n $uri ]] || uri=$(awk '$1 == "deb" && $0 !~ /security/ {
      for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit }
    }' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n1)
  echo "$uri"
}
MIRROR=${DEBIAN_MIRROR:-$(apt_mirror)}

log() { echo "[engine] $*" >&2; }

# Stops what a previous run started, by the pids it recorded: never a daemon it did not start.
stop_started() {
  local name pid
  for name in registry dockerd; do
    [[ -r $STATE_DIR/$name.pid ]] || continue
    pid=$(<"$STATE_DIR/$name.pid")
    if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
      log "stopping $name (pid $pid)"
      kill "$pid"
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    fi
    rm -f "$STATE_DIR/$name.pid"
  done
}
if [[ ${1:-} == stop ]]; then
  stop_started
  exit 0
fi
[[ -z ${1:-} ]] || { log "unknown argument \"$1\": run it with no argument, or with stop"; exit 2; }
mkdir -p "$STATE_DIR"

need_pkgs=()
command -v dockerd >/dev/null || need_pkgs+=(docker.io)
command -v docker-registry >/dev/null || need_pkgs+=(docker-registry)
command -v debootstrap >/dev/null || need_pkgs+=(debootstrap)
command -v podman >/dev/null || need_pkgs+=(podman)
command -v curl >/dev/null || need_pkgs+=(curl)
command -v shellcheck >/dev/null || need_pkgs+=(shellcheck)
# Foreign platforms (linux/arm64) run their RUN steps under qemu, registered with binfmt_misc.
[[ -x /usr/bin/qemu-aarch64-static ]] || need_pkgs+=(qemu-user-static)
command -v update-binfmts >/dev/null || need_pkgs+=(binfmt-support)
if ((${#need_pkgs[@]})); then
  log "installing ${need_pkgs[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

if ! /usr/bin/docker info >/dev/null 2>&1; then
  log "starting dockerd"
  nohup dockerd --iptables=false --ip6tables=false --bridge=none \
    --data-root /var/lib/docker --host unix:///var/run/docker.sock >/tmp/dockerd.log 2>&1 &
  echo $! >"$STATE_DIR/dockerd.pid"
  for _ in $(seq 1 60); do /usr/bin/docker info >/dev/null 2>&1 && break; sleep 0.5; done
  /usr/bin/docker info >/dev/null 2>&1 || { cat /tmp/dockerd.log >&2; log "dockerd did not start"; exit 1; }
fi

if ! curl -fsS "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1; then
  log "starting docker-registry on $REGISTRY_ADDR"
  mkdir -p "$REGISTRY_DIR"
  cat >"$REGISTRY_DIR.yml" <<YML
version: 0.1
log: { level: warn }
storage: { filesystem: { rootdirectory: $REGISTRY_DIR }, delete: { enabled: true } }
http: { addr: $REGISTRY_ADDR }
YML
  nohup docker-registry serve "$REGISTRY_DIR.yml" >/tmp/registry.log 2>&1 &
  echo $! >"$STATE_DIR/registry.pid"
  for _ in $(seq 1 40); do curl -fsS "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1 && break; sleep 0.25; done
  curl -fsS "http://$REGISTRY_ADDR/v2/" >/dev/null || { cat /tmp/registry.log >&2; log "registry did not start"; exit 1; }
fi

# binfmt_misc, so an arm64 binary runs under qemu-aarch64-static (the F flag keeps the
# interpreter open, so it works inside containers too).
if [[ ! -e /proc/sys/fs/binfmt_misc/register ]]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || log "could not mount binfmt_misc"
fi
[[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]] || update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
[[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]] || { log "qemu-aarch64 is not registered with binfmt_misc"; exit 1; }

mkdir -p "$CACHE_DIR"
# Static busybox for amd64 and arm64, from Debian's archive: the root of the multi-platform
# test chain (FROM scratch, so no foreign base image is needed).
busybox_dir="$CACHE_DIR/busybox"
if [[ ! -x $busybox_dir/busybox-arm64 || ! -x $busybox_dir/busybox-amd64 ]]; then
  log "fetching busybox-static for amd64 and arm64 from apt's mirror"
  tmp=$(mktemp -d)
  chmod 755 "$tmp"
  # arm64's package lists in a folder of their own: the machine's apt state is left alone.
  apt_arm64=(-o APT::Architecture=arm64 -o APT::Architectures=arm64 -o "Dir::State::Lists=$tmp/lists"
    -o "Dir::State::Status=/dev/null" -o Debug::NoLocking=1)
  mkdir -p "$tmp/lists/partial" "$busybox_dir"
  apt-get "${apt_arm64[@]}" update -qq >/dev/null
  (cd "$tmp" && apt-get "${apt_arm64[@]}" download busybox-static:arm64 >/dev/null 2>&1 &&
    apt-get download busybox-static:amd64 >/dev/null 2>&1) || { log "could not download busybox-static"; exit 1; }
  for arch in amd64 arm64; do
    dpkg-deb -x "$tmp"/busybox-static_*_"$arch".deb "$tmp/x-$arch"
    install -m 755 "$tmp/x-$arch/bin/busybox" "$busybox_dir/busybox-$arch"
  done
  rm -rf "$tmp"
fi

rootfs_tar="$CACHE_DIR/debian-$SUITE-minbase.tar"
if [[ ! -s $rootfs_tar ]]; then
  [[ -n $MIRROR ]] || { log "no Debian mirror found in apt's sources; set DEBIAN_MIRROR"; exit 1; }
  log "debootstrap $SUITE from apt's mirror (cached afterwards in $rootfs_tar)"
  tmp=$(mktemp -d)
  debootstrap --variant=minbase "$SUITE" "$tmp/rootfs" "$MIRROR" >/tmp/debootstrap.log 2>&1 \
    || { tail -20 /tmp/debootstrap.log >&2; exit 1; }
  # Clear the apt lists so the base is as lean as an upstream image is.
  rm -rf "$tmp/rootfs/var/lib/apt/lists/"* "$tmp/rootfs/var/cache/apt/"*.bin
  tar --sort=name --mtime=@0 --numeric-owner -C "$tmp/rootfs" -cf "$rootfs_tar.part" .
  mv "$rootfs_tar.part" "$rootfs_tar"
  rm -rf "$tmp"
fi

upstream="$REGISTRY_ADDR/debian:$SUITE"
if ! /usr/bin/docker image inspect "local/debian:$SUITE" >/dev/null 2>&1; then
  log "importing the rootfs as local/debian:$SUITE"
  /usr/bin/docker import "$rootfs_tar" "local/debian:$SUITE" >/dev/null
fi
/usr/bin/docker tag "local/debian:$SUITE" "$upstream"
/usr/bin/docker push "$upstream" >/dev/null
digest=$(curl -fsSI -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  "http://$REGISTRY_ADDR/v2/debian/manifests/$SUITE" | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}')
[[ $digest == sha256:* ]] || { log "could not read the digest of $upstream"; exit 1; }
log "upstream pinned: $upstream@$digest"
echo "export BASE_IMAGE=$upstream"
echo "export BASE_DIGEST=$digest"
# Debian's docker.io client carries BuildKit; a newer client on PATH may lack buildx. It comes
# first on PATH as `docker`, not through CONTAINER_CLIENT, so CONTAINER_ENGINE=podman still works.
mkdir -p "$CACHE_DIR/bin"
ln -sf /usr/bin/docker "$CACHE_DIR/bin/docker"
echo "export PATH=$CACHE_DIR/bin:\$PATH"
# dockerd runs with --bridge=none here, so RUN steps use the host's network.
echo "export BUILD_NETWORK=host"
# Podman reads the workspace's own config, never /etc: the local registries are
# plain HTTP, and containers need explicit ulimits in this sandbox.
echo "export CONTAINERS_REGISTRIES_CONF=$ROOT/config/podman/registries.conf"
echo "export CONTAINERS_CONF=$ROOT/config/podman/containers.conf"
# Static busybox binaries (busybox-amd64, busybox-arm64) for the multi-platform test.
echo "export BUSYBOX_DIR=$busybox_dir"
