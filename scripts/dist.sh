#!/bin/sh
# dist.sh: build the linux tarballs that plans on EC2 ship (docs/epu.md).
#
#   scripts/dist.sh [VERSION]
#
# writes, for each of $DIST_ARCHS (default: amd64 arm64),
#   dist/cloudinitd-VERSION-linux-ARCH.tar.gz
# unpacking to cloudinitd-VERSION-linux-ARCH/ with the static binaries
# cloudinitd and cloudinitd-instance (the local driver's instance server,
# which cloudinitd starts when it lies beside it: docs/local-driver.md),
# the symlink epu -> cloudinitd, and run.sh (a copy of
# examples/epu/src/epu/run.sh), so that the tarball is itself a bootpgm by
# cloudinit.d's NAME.tar.gz -> NAME/run.sh convention; and dist/SHA256SUMS.
# VERSION defaults to 'git describe --tags --always --dirty', else "dev".
# $DIST_DIR replaces dist/. Only the Go toolchain is needed (CGO_ENABLED=0).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
version=${1:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
case $version in */* | "" | .*) echo "dist.sh: bad version '$version'" >&2; exit 2 ;; esac
archs=${DIST_ARCHS:-amd64 arm64}
out=${DIST_DIR:-$root/dist}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
names=
for arch in $archs; do
	name=cloudinitd-$version-linux-$arch
	dir=$tmp/$name
	mkdir -p "$dir"
	echo "building $name"
	CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath -ldflags "-s -w" -o "$dir/" ./cmd/cloudinitd ./cmd/cloudinitd-instance
	ln -s cloudinitd "$dir/epu"
	cp examples/epu/src/epu/run.sh "$dir/run.sh"
	chmod 0755 "$dir/run.sh" "$dir/cloudinitd" "$dir/cloudinitd-instance"
	tar -C "$tmp" --owner=0 --group=0 --numeric-owner -czf "$out/$name.tar.gz" "$name"
	names="$names $name.tar.gz"
done
# shellcheck disable=SC2086 # names are words without spaces
(cd "$out" && sha256sum $names >SHA256SUMS)
for n in $names; do echo "$out/$n"; done
echo "$out/SHA256SUMS"
