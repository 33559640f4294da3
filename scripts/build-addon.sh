#!/usr/bin/env bash
# Builds the Home Assistant add-on image as the Supervisor does: ha-addon/ is the whole build
# context and build.yaml's base and args apply; with buildah (no daemon), vfs storage.
#   scripts/build-addon.sh [--local] [--base IMAGE | --base-rootfs TAR] [--tag TAG] [--store DIR]
# --local        build this working tree (packed into the context as kvmr0ck-src.tar.gz) instead
#                of the release tarball of build.yaml's KVMR0CK_VERSION
# --base IMAGE   the base image (default: build.yaml's amd64 build_from)
# --base-rootfs  a Debian rootfs tarball (e.g. `mmdebstrap --variant=minbase trixie rootfs.tar`)
#                imported as the base image, for machines that reach no container registry
# --store DIR    buildah's storage (default /var/tmp/kvmr0ck-buildah); the image is left there
# --ca FILE      a CA bundle npm must trust during the build (a TLS-inspecting proxy); default:
#                $NODE_EXTRA_CA_CERTS when set
set -euo pipefail
cd "$(dirname "$0")/.."

TAG=localhost/kvmr0ck-addon:test
STORE=/var/tmp/kvmr0ck-buildah
BASE=$(sed -n 's/^  amd64: *//p' ha-addon/build.yaml)
VERSION=$(sed -n 's/^  KVMR0CK_VERSION: *//p' ha-addon/build.yaml)
ROOTFS=""
SOURCE=release
CA=${NODE_EXTRA_CA_CERTS:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --local) SOURCE=local ;;
    --base) BASE=$2; shift ;;
    --base-rootfs) ROOTFS=$2; shift ;;
    --tag) TAG=$2; shift ;;
    --store) STORE=$2; shift ;;
    --ca) CA=$2; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "build-addon: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

B=(buildah --storage-driver vfs --root "$STORE/root" --runroot "$STORE/run")

if [ -n "$ROOTFS" ]; then
  BASE=localhost/kvmr0ck-base:$(basename "$ROOTFS" .tar)
fi
if [ -n "$ROOTFS" ] && ! "${B[@]}" inspect --type image "$BASE" >/dev/null 2>&1; then
  echo "build-addon: importing $ROOTFS as $BASE"
  ctr=$("${B[@]}" from scratch)
  mnt=$("${B[@]}" mount "$ctr")
  tar -xf "$ROOTFS" -C "$mnt"
  "${B[@]}" umount "$ctr" >/dev/null
  "${B[@]}" commit --quiet "$ctr" "$BASE" >/dev/null
  "${B[@]}" rm "$ctr" >/dev/null
fi

# Both files exist only for this build (and are git-ignored).
trap 'rm -f ha-addon/kvmr0ck-src.tar.gz ha-addon/build-ca.pem' EXIT
EXTRA=()
if [ "$SOURCE" = local ]; then
  # The tracked and new files of the working tree, as the release tarball would hold them.
  git ls-files -z --cached --others --exclude-standard \
    | tar --null --ignore-failed-read -T - -czf ha-addon/kvmr0ck-src.tar.gz 2>/dev/null
fi
if [ -n "$CA" ]; then
  cp "$CA" ha-addon/build-ca.pem
  EXTRA+=(--build-arg NODE_EXTRA_CA_CERTS=/tmp/addon/build-ca.pem)
fi

echo "build-addon: $TAG from $BASE (source: $SOURCE, version $VERSION)"
# chroot isolation: no user namespaces or cgroups needed (a container or CI runner is enough).
"${B[@]}" bud --isolation chroot --layers=false \
  --build-arg "BUILD_FROM=$BASE" \
  --build-arg "KVMR0CK_VERSION=$VERSION" \
  --build-arg "KVMR0CK_SOURCE=$SOURCE" \
  "${EXTRA[@]}" \
  -f ha-addon/Dockerfile -t "$TAG" ha-addon
echo "build-addon: built $TAG"
