#!/usr/bin/env bash
# Builds the Debian package (target/debian/platefit_<version>-1_<arch>.deb) with cargo-deb:
# the release binary, the desktop entry, the AppStream metainfo, the MIME type of .platefit
# projects and the icons (see [package.metadata.deb] in Cargo.toml). Validates the desktop
# files first and lists the package's files afterwards. Takes a release build (about 10
# minutes from clean on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v desktop-file-validate >/dev/null 2>&1 || need+=(desktop-file-utils)
command -v appstreamcli >/dev/null 2>&1 || need+=(appstream)
command -v update-mime-database >/dev/null 2>&1 || need+=(shared-mime-info)
command -v dpkg-deb >/dev/null 2>&1 || need+=(dpkg)
command -v help2man >/dev/null 2>&1 || need+=(help2man)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "scripts/package.sh: please install: ${need[*]}" >&2
    exit 1
  fi
fi
command -v cargo-deb >/dev/null 2>&1 || cargo install cargo-deb --locked

bash scripts/check_desktop_files.sh
# The packaged binary is position-independent, as Debian's hardening asks (lintian warns
# `hardening-no-pie` otherwise); build.rs links source builds at a fixed address for a faster
# start unless PLATEFIT_PIE is set.
PLATEFIT_PIE=1 cargo build --release --locked
# The manual page, from the binary's own --help (Debian wants one for every program).
mkdir -p target/man
help2man --no-info \
  --name="cell-viability dose-response analysis: IC50s and resistance index" \
  --version-string="$(target/release/platefit --version | awk '{print $2}')" \
  target/release/platefit > target/man/platefit.1
gzip -9nf target/man/platefit.1
cargo deb --locked --no-build
deb="$(ls -t target/debian/platefit_*.deb | head -n 1)"
echo "built $deb"
dpkg-deb --info "$deb"
dpkg-deb --contents "$deb"
# The files a desktop needs must be in it.
listing="$(dpkg-deb --contents "$deb")"
for f in ./usr/bin/platefit \
         ./usr/share/applications/org.platefit.Platefit.desktop \
         ./usr/share/metainfo/org.platefit.Platefit.metainfo.xml \
         ./usr/share/mime/packages/platefit.xml \
         ./usr/share/icons/hicolor/scalable/apps/platefit.svg \
         ./usr/share/icons/hicolor/256x256/apps/platefit.png \
         ./usr/share/man/man1/platefit.1.gz \
         ./usr/share/doc/platefit/changelog.Debian.gz; do
  grep -q " $f\$" <<<"$listing" || { echo "missing from the package: $f" >&2; exit 1; }
done
# Debian's own checker, where installed (apt-get install lintian). The one tag suppressed
# asks the first upload to close an ITP bug in Debian's tracker, which does not apply here.
if command -v lintian >/dev/null 2>&1; then
  lintian --fail-on error,warning --suppress-tags initial-upload-closes-no-bugs "$deb"
  echo "lintian: no error or warning"
fi
echo "package OK: $deb"
