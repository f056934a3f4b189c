#!/usr/bin/env bash
# A GlusterFS replica-2 volume served from its own network namespace (one "server host" with two
# bricks) and FUSE-mounted by two client "hosts" (two more network namespaces), all on this machine
# and all under one work directory. Nothing is installed into or left in /var/lib/glusterd, /var/log or
# /run: glusterd runs in a private mount namespace whose /var/lib/glusterd, /var/log/glusterfs and /run
# are directories of the work directory.
#
#   scripts/gluster.sh up WORKDIR [tuned|default]   start everything; prints the two client mount points
#   scripts/gluster.sh down WORKDIR                 unmount, stop every process it started, remove the namespaces
#   scripts/gluster.sh check                        exit 0 if the packages are installed and namespaces work
#
# tuned (the default) sets the volume options CryptStack's -o shared guarantee needs on GlusterFS
# (docs/architecture.md): performance.quick-read, write-behind, open-behind, io-cache, read-ahead,
# readdir-ahead, stat-prefetch and md-cache off, cluster.eager-lock off; the clients mount with
# direct-io-mode=enable. default leaves Gluster's defaults, to show what breaks.
# Needs root, glusterfs-server and glusterfs-client (apt-get install glusterfs-server glusterfs-client).
set -euo pipefail

cmd=${1:-}
work=${2:-}
mode=${3:-tuned}
# One /24 per work directory, so two setups at once (another checkout's CI) do not collide.
tag=$(printf '%s' "$work" | cksum | cut -d' ' -f1)
net=$(( tag % 200 + 20 ))
ns_srv="csg${net}s" ns_c1="csg${net}a" ns_c2="csg${net}b"
ip_srv="10.231.$net.1" ip_c1="10.231.$net.2" ip_c2="10.231.$net.3"
volume=csvol

have_tools() { command -v glusterd >/dev/null && command -v glusterfs >/dev/null && command -v gluster >/dev/null && command -v ip >/dev/null && command -v nsenter >/dev/null; }

in_srv() { nsenter --net="/run/netns/$ns_srv" --mount="/proc/$(cat "$work/glusterd.pid")/ns/mnt" "$@"; }

down() {
  [ -n "$work" ] || { echo "gluster: down needs WORKDIR" >&2; exit 64; }
  for m in "$work/client1" "$work/client2"; do
    if grep -q " $m fuse" /proc/mounts; then umount "$m" 2>/dev/null || umount -l "$m"; fi
  done
  # Every process left in our namespaces is one this script started (glusterd, bricks, self-heal, clients).
  for ns in "$ns_c1" "$ns_c2" "$ns_srv"; do
    [ -e "/run/netns/$ns" ] || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
  done
  for _ in $(seq 50); do
    left=""
    for ns in "$ns_c1" "$ns_c2" "$ns_srv"; do [ -e "/run/netns/$ns" ] && left+=$(ip netns pids "$ns" 2>/dev/null); done
    [ -z "$left" ] && break
    sleep 0.1
  done
  for ns in "$ns_c1" "$ns_c2" "$ns_srv"; do
    [ -e "/run/netns/$ns" ] || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -f "$work/glusterd.pid"
}

up() {
  [ -n "$work" ] || { echo "gluster: up needs WORKDIR" >&2; exit 64; }
  have_tools || { echo "gluster: glusterfs-server and glusterfs-client are not installed" >&2; exit 69; }
  mkdir -p "$work"/{lib,log,run,brick1,brick2,client1,client2}
  work=$(realpath "$work")
  down >/dev/null 2>&1 || true

  # Network: the server namespace holds a bridge; each client namespace has a veth into it.
  ip netns add "$ns_srv"; ip netns add "$ns_c1"; ip netns add "$ns_c2"
  ip -n "$ns_srv" link set lo up
  ip -n "$ns_srv" link add br0 type bridge
  ip -n "$ns_srv" addr add "$ip_srv/24" dev br0
  ip -n "$ns_srv" link set br0 up
  for c in 1 2; do
    ns="csg${net}$( [ $c = 1 ] && echo a || echo b )"
    ip_c="10.231.$net.$((c + 1))"
    ip link add "csg${net}v$c" netns "$ns_srv" type veth peer name eth0 netns "$ns"
    ip -n "$ns_srv" link set "csg${net}v$c" master br0 up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$ip_c/24" dev eth0
    ip -n "$ns" link set eth0 up
  done

  # glusterd in the server namespace, with its state in the work directory.
  nsenter --net="/run/netns/$ns_srv" unshare --mount --propagation private sh -c '
    mount --bind "$1/lib" /var/lib/glusterd
    mount --bind "$1/log" /var/log/glusterfs
    mount -t tmpfs tmpfs /run && mkdir -p /run/gluster
    echo $$ > "$1/glusterd.pid"
    exec glusterd -N --log-file="$1/log/glusterd.log"' sh "$work" > "$work/log/glusterd.out" 2>&1 &
  for _ in $(seq 100); do
    [ -s "$work/glusterd.pid" ] && in_srv gluster --mode=script volume list >/dev/null 2>&1 && break
    sleep 0.2
  done
  in_srv gluster --mode=script volume list >/dev/null

  in_srv gluster --mode=script volume create "$volume" replica 2 \
    "$ip_srv:$work/brick1/b" "$ip_srv:$work/brick2/b" force >/dev/null
  if [ "$mode" = tuned ]; then
    for opt in performance.quick-read performance.write-behind performance.open-behind performance.io-cache \
               performance.read-ahead performance.readdir-ahead performance.stat-prefetch performance.md-cache-timeout \
               cluster.eager-lock; do
      value=off; [ "$opt" = performance.md-cache-timeout ] && value=0
      in_srv gluster --mode=script volume set "$volume" "$opt" "$value" >/dev/null
    done
  fi
  in_srv gluster --mode=script volume start "$volume" >/dev/null

  # Two client hosts: glusterfs FUSE clients in the client namespaces, mounted in this mount namespace.
  client_opts=(); [ "$mode" = tuned ] && client_opts=(--direct-io-mode=enable)
  for c in 1 2; do
    ns="csg${net}$( [ $c = 1 ] && echo a || echo b )"
    nsenter --net="/run/netns/$ns" glusterfs --volfile-server="$ip_srv" --volfile-id="$volume" \
      --log-file="$work/log/client$c.log" "${client_opts[@]}" "$work/client$c"
  done
  for c in 1 2; do
    for _ in $(seq 100); do grep -q " $work/client$c fuse.glusterfs" /proc/mounts && break; sleep 0.1; done
    grep -q " $work/client$c fuse.glusterfs" /proc/mounts || { echo "gluster: client $c did not mount (see $work/log/client$c.log)" >&2; exit 1; }
  done
  echo "$work/client1"
  echo "$work/client2"
}

case "$cmd" in
  up) up ;;
  down) down ;;
  check)
    have_tools || { echo "glusterfs-server/glusterfs-client not installed"; exit 1; }
    [ "$(id -u)" = 0 ] || { echo "needs root (network namespaces, glusterd)"; exit 1; }
    probe="csgprobe$$"
    ip netns add "$probe" 2>/dev/null || { echo "cannot create network namespaces"; exit 1; }
    ip netns del "$probe"
    ;;
  *) echo "usage: scripts/gluster.sh up|down WORKDIR [tuned|default] | check" >&2; exit 64 ;;
esac
