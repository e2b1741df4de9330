#!/usr/bin/env bash
# Validates the Linux desktop integration files in assets/linux: the desktop entry
# (desktop-file-validate), the AppStream metainfo (appstreamcli validate, no network) and the
# shared-mime-info type of .platefit projects (update-mime-database into a scratch folder,
# then the glob must map *.platefit to application/x-platefit).
set -euo pipefail
cd "$(dirname "$0")/.."
desktop-file-validate assets/linux/org.platefit.Platefit.desktop
appstreamcli validate --no-net assets/linux/org.platefit.Platefit.metainfo.xml
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/mime/packages"
cp assets/linux/platefit-mime.xml "$scratch/mime/packages/platefit.xml"
update-mime-database "$scratch/mime"
grep -q '^application/x-platefit:\*\.platefit$' "$scratch/mime/globs" \
  || { echo "the MIME database does not map *.platefit to application/x-platefit" >&2; exit 1; }
echo "desktop entry, metainfo and MIME type are valid"
