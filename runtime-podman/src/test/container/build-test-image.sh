#!/usr/bin/env bash
# Builds the image Parhelia's Podman tests run agents in, and prints its name.
#
# No image registry is reachable where the tests run, so `FROM debian:12` (dist/src/main/container/
# Containerfile) cannot be built. This assembles a root file system from this Debian machine's own
# binaries instead, with the same layout as the product image: bash, tmux, git and coreutils, a
# non-root user `agent` (uid 1000) whose home is /home/agent, /workspace, LANG=C.UTF-8, and the agent
# as /usr/local/bin/claude, here the fake Claude Code from testing/.
#
# The image is tagged with a hash of this script, the agent and the tool versions, so it is built once
# per machine and rebuilt only when one of them changes.
#
# Usage: build-test-image.sh FAKE_AGENT [PODMAN_ARGS...]   (PODMAN_ARGS go before each podman command,
# e.g. --runtime /usr/sbin/runc). Exits non-zero, saying why, when Podman cannot run containers here.
set -euo pipefail

fake_agent=$1
shift
podman_args=("$@")

tools=(bash sh cat sleep tee rm mkdir mv cp ls id env tail head date chmod touch wc tr cut sed grep kill
  printf test true false uname dirname basename readlink git tmux)

key=$( { cat "$0" "$fake_agent"; tmux -V; git --version; bash --version | head -1; } | sha256sum | cut -c1-12)
image=localhost/parhelia-agent-test:$key

# Whether this machine can run containers at all (a Podman that is installed may still be unable to).
smoke_test() {
  podman "${podman_args[@]}" run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
    "$image" true >&2 || { echo "Podman is installed but cannot run a container here" >&2; exit 3; }
}

if podman "${podman_args[@]}" image exists "$image"; then
  smoke_test
  printf '%s\n' "$image"
  exit 0
fi

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/usr/{bin,lib,lib64,sbin} "$rootfs"/usr/local/bin "$rootfs"/{etc,tmp,home/agent,workspace,proc,sys,dev}
# Debian 12 has a merged /usr: /bin, /lib and the rest are links into /usr.
for link in bin lib lib64 sbin; do
  ln -s usr/$link "$rootfs/$link"
done
chmod 1777 "$rootfs/tmp"

# Copies a file under the path it is known by (following links), e.g. a library by its soname.
copy() {
  local source=$1 target_dir
  target_dir=$(realpath "$(dirname "$source")")
  mkdir -p "$rootfs$target_dir"
  cp -L "$source" "$rootfs$target_dir/$(basename "$source")"
}

declare -A libraries=()
for tool in "${tools[@]}"; do
  binary=$(command -v "$tool" | grep / || true)
  [[ -z $binary ]] && binary=$(type -P "$tool")
  copy "$binary"
  while read -r library; do
    libraries[$library]=1
  done < <(ldd "$binary" 2>/dev/null | grep -o '/[^ ]*' || true)
done
for library in "${!libraries[@]}"; do
  copy "$library"
done

# git runs its helpers (upload-pack for a clone, among others) from here.
cp -a /usr/lib/git-core "$rootfs/usr/lib/"
for library in $(ldd /usr/lib/git-core/* 2>/dev/null | grep -o '/[^ ]*\.so[^ ]*' | sort -u); do
  [[ -e $rootfs$(realpath "$(dirname "$library")")/$(basename "$library") ]] || copy "$library"
done
mkdir -p "$rootfs/usr/share"
cp -a /usr/share/git-core "$rootfs/usr/share/"
# tmux needs the descriptions of the terminals it runs in and emulates, and a UTF-8 locale.
mkdir -p "$rootfs/usr/share/terminfo" "$rootfs/usr/lib/locale"
cp -a /lib/terminfo/. "$rootfs/usr/share/terminfo/"
cp -a /usr/lib/locale/C.utf8 "$rootfs/usr/lib/locale/"

cat > "$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/bash
agent:x:1000:1000:Parhelia agent:/home/agent:/bin/bash
PASSWD
cat > "$rootfs/etc/group" <<'GROUP'
root:x:0:
agent:x:1000:
GROUP
mkdir -p "$rootfs/root"
cp "$fake_agent" "$rootfs/usr/local/bin/claude"
chmod 755 "$rootfs/usr/local/bin/claude"
chown -R 1000:1000 "$rootfs/home/agent" "$rootfs/workspace"

tar -C "$rootfs" -c . | podman "${podman_args[@]}" import --quiet \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV HOME=/home/agent' \
  --change 'USER agent' \
  --change 'WORKDIR /workspace' \
  - "$image" > /dev/null
smoke_test
printf '%s\n' "$image"
