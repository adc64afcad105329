#!/bin/sh
# Install the Debian packages the project needs, or say exactly what to install.
#   scripts/system-deps.sh run    what `make run` needs
#   scripts/system-deps.sh test   what `make test` needs (PostgreSQL, Chromium, font, poppler, NSS certutil)
set -eu
profile="${1:-test}"
missing=""

need() {  # need PACKAGE TEST-COMMAND...
  package="$1"; shift
  if ! "$@" >/dev/null 2>&1; then
    missing="$missing $package"
  fi
}

has_pg15() { test -x /usr/lib/postgresql/15/bin/initdb && test -x /usr/lib/postgresql/15/bin/postgres; }
has_font() { ls /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc; }

has_certutil() { command -v certutil; }
has_pango() { ldconfig -p | grep -q "libpangoft2-1.0.so.0"; }

# PDFs (letters, posters, minutes) need Pango and a CJK font, in every profile.
need libpangoft2-1.0-0 has_pango
need fonts-noto-cjk has_font
if [ "$profile" = "test" ]; then
  need postgresql-15 has_pg15
  need chromium test -x /usr/bin/chromium
  need poppler-utils command -v pdffonts
  need libnss3-tools has_certutil
fi

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages:$missing" >&2
  echo "Install them with:  sudo apt-get update && sudo apt-get install -y$missing" >&2
  exit 1
fi
echo "Installing system packages:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
