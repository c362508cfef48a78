#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (as root, or a user with password-less sudo) for local crawls
# and the test suite:
#   1. npm packages (npm ci; skipped when node_modules already satisfies the lockfile), patches/ applied,
#      the client export built (dist/)
#   2. @sparticuz/chromium's binary extracted into $TMPDIR (re-extracted if it is another version)
#   3. the shared libraries that binary (or $CHROME_PATH) lacks, found with ldd, from apt
#   4. Java for DynamoDB Local, when missing
#   5. a check that the browser starts and renders a page served on 127.0.0.1
# Needs no TTY and is safe to run again: it installs only what is missing and says what it did.
# Environment: CHROME_PATH (check that browser instead), SETUP_DRY_RUN=1 (report, change nothing),
# SETUP_FORCE_NPM=1 (npm ci even when node_modules looks complete).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
# Telemetry of dependencies (scarf, via @asyncapi/parser) would call the internet at install: off.
export SCARF_ANALYTICS=false DO_NOT_TRACK=1
DRY_RUN="${SETUP_DRY_RUN:-}"
LDD="${LDD:-ldd}"
did=()

# --- Node --------------------------------------------------------------------------------------
command -v node >/dev/null 2>&1 || die "node is not installed; install Node >= 20.11 (Debian 12's own nodejs is 18, too old), e.g. from nodejs.org or NodeSource"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=11)?0:1)' \
  || die "node $(node -v) is too old; the project needs >= 20.11"
command -v npm >/dev/null 2>&1 || die "npm is not installed"
say "node $(node -v), npm $(npm -v 2>/dev/null)"

# --- apt helpers -------------------------------------------------------------------------------
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; fi
fi
apt_updated=""
apt_install() {
  if [ -n "$DRY_RUN" ]; then say "dry run: would apt-get install $*"; return 0; fi
  if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
    die "missing packages: $* — run as root: apt-get update && apt-get install -y --no-install-recommends $*"
  fi
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    $SUDO apt-get -o DPkg::Lock::Timeout=120 update -qq
    apt_updated=1
  fi
  say "apt-get install $*"
  $SUDO apt-get -o DPkg::Lock::Timeout=120 install -y -qq --no-install-recommends --no-upgrade "$@" >/dev/null
  did+=("installed $*")
}

# --- 1. npm packages ---------------------------------------------------------------------------
if [ -z "${SETUP_FORCE_NPM:-}" ] && [ -d node_modules ] && npm ls --all >/dev/null 2>&1; then
  say "npm packages already installed and consistent (npm ls); skipping npm ci (SETUP_FORCE_NPM=1 forces it)"
elif [ -n "$DRY_RUN" ]; then
  say "dry run: would run npm $([ -f package-lock.json ] && echo ci || echo install)"
elif [ -f package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  did+=("npm ci")
else
  say "npm install (no package-lock.json)"
  npm install --no-audit --no-fund --loglevel=error
  did+=("npm install")
fi
[ -d node_modules/@sparticuz/chromium ] && [ -d node_modules/puppeteer-core ] \
  || die "node_modules lacks @sparticuz/chromium or puppeteer-core; run npm ci"
# npm ci applies patches/ (postinstall); a node_modules installed before a patch was added has not.
if [ -z "$DRY_RUN" ] && ls patches/*.patch >/dev/null 2>&1; then
  npx --no-install patch-package >/dev/null || die "patch-package could not apply patches/ (see npx patch-package)"
fi
# The package export fanout-crawler/client is dist/ (npm ci builds it, `prepare`); a skipped npm ci has not.
if [ -z "$DRY_RUN" ] && [ ! -f dist/client/index.js ]; then
  say "building the client export (npm run build:client)"
  npm run --silent build:client || die "npm run build:client failed"
  did+=("built dist/client")
fi

# --- 2. the browser binary ---------------------------------------------------------------------
# @sparticuz/chromium extracts once into $TMPDIR/chromium and reuses whatever is there without a
# version check, so a binary left by another version is removed first.
if [ -n "${CHROME_PATH:-}" ]; then
  [ -x "$CHROME_PATH" ] || die "CHROME_PATH=$CHROME_PATH is not an executable"
  binaries=("$CHROME_PATH")
  say "checking CHROME_PATH=$CHROME_PATH"
else
  tmp="$(node -p 'require("node:os").tmpdir()')"
  want_major="$(node -p 'require("./node_modules/@sparticuz/chromium/package.json").version.split(".")[0]')"
  if [ -f "$tmp/chromium" ]; then
    have="$(grep -aoE -m1 'Chrome/[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+' "$tmp/chromium" | head -1 || true)"
    if [[ "$have" == "Chrome/$want_major."* ]]; then
      say "already extracted: $tmp/chromium ($have)"
    elif [ -n "$DRY_RUN" ]; then
      say "dry run: would remove $tmp/chromium (${have:-unknown version}, want $want_major) and extract again"
    else
      say "$tmp/chromium is ${have:-of unknown version}, not $want_major; extracting again"
      rm -f "$tmp/chromium"
      did+=("replaced $tmp/chromium (${have:-unknown version})")
    fi
  fi
  started=$(date +%s%N)
  chrome="$(node --input-type=module -e "import c from '@sparticuz/chromium'; console.log(await c.executablePath())")"
  say "@sparticuz/chromium binary: $chrome ($(( ($(date +%s%N) - started) / 1000000 )) ms)"
  binaries=("$chrome")
  # the graphics libraries it extracts beside the binary (loaded even with WebGL off)
  for lib in libEGL.so libGLESv2.so libvk_swiftshader.so libvulkan.so.1; do
    [ -f "$(dirname "$chrome")/$lib" ] && binaries+=("$(dirname "$chrome")/$lib")
  done
fi

# --- 3. shared libraries -----------------------------------------------------------------------
# soname → Debian 12 package. The headless shell links against NSS, NSPR and expat only (checked
# with ldd on 147); a full Chrome (CHROME_PATH) also wants the GUI stack below.
declare -A PACKAGE_OF=(
  [libnss3.so]=libnss3 [libnssutil3.so]=libnss3 [libsmime3.so]=libnss3 [libssl3.so]=libnss3
  [libnspr4.so]=libnspr4 [libplc4.so]=libnspr4 [libplds4.so]=libnspr4
  [libexpat.so.1]=libexpat1 [libgcc_s.so.1]=libgcc-s1 [libz.so.1]=zlib1g [libsqlite3.so.0]=libsqlite3-0
  [libglib-2.0.so.0]=libglib2.0-0 [libgobject-2.0.so.0]=libglib2.0-0 [libgio-2.0.so.0]=libglib2.0-0
  [libdbus-1.so.3]=libdbus-1-3 [libudev.so.1]=libudev1 [libfontconfig.so.1]=libfontconfig1
  [libfreetype.so.6]=libfreetype6 [libatk-1.0.so.0]=libatk1.0-0 [libatk-bridge-2.0.so.0]=libatk-bridge2.0-0
  [libatspi.so.0]=libatspi2.0-0 [libcups.so.2]=libcups2 [libdrm.so.2]=libdrm2 [libgbm.so.1]=libgbm1
  [libxkbcommon.so.0]=libxkbcommon0 [libX11.so.6]=libx11-6 [libxcb.so.1]=libxcb1
  [libXcomposite.so.1]=libxcomposite1 [libXdamage.so.1]=libxdamage1 [libXext.so.6]=libxext6
  [libXfixes.so.3]=libxfixes3 [libXrandr.so.2]=libxrandr2 [libxshmfence.so.1]=libxshmfence1
  [libpango-1.0.so.0]=libpango-1.0-0 [libcairo.so.2]=libcairo2 [libasound.so.2]=libasound2
  [libgtk-3.so.0]=libgtk-3-0 [libgdk-3.so.0]=libgtk-3-0
)
unresolved() { "$LDD" "$@" 2>/dev/null | awk '/=> not found/ {print $1}' | sort -u; }

mapfile -t missing_libs < <(unresolved "${binaries[@]}")
# NSS loads libsoftokn3/libfreebl3 at run time (not visible to ldd); they come with libnss3.
if [ -z "${CHROME_PATH:-}" ] && ! dpkg -s libnss3 >/dev/null 2>&1 && [[ ! " ${missing_libs[*]} " =~ " libnss3.so " ]]; then
  missing_libs+=(libnss3.so)
fi
if [ ${#missing_libs[@]} -eq 0 ]; then
  say "shared libraries: all present (ldd ${binaries[*]})"
else
  say "shared libraries missing: ${missing_libs[*]}"
  packages=()
  unknown=()
  for so in "${missing_libs[@]}"; do
    pkg="${PACKAGE_OF[$so]:-}"
    if [ -n "$pkg" ]; then
      [[ " ${packages[*]} " =~ " $pkg " ]] || packages+=("$pkg")
    else
      unknown+=("$so")
    fi
  done
  if [ ${#packages[@]} -gt 0 ]; then apt_install "${packages[@]}"; fi
  if [ ${#unknown[@]} -gt 0 ]; then die "no package known for ${unknown[*]}; find it with apt-file search and install it"; fi
  if [ -z "$DRY_RUN" ]; then
    still="$(unresolved "${binaries[@]}" | tr '\n' ' ')"
    [ -z "${still// /}" ] || die "still missing after install: $still"
  fi
fi

# --- 4. Java for DynamoDB Local (local emulation and the tests) ---------------------------------
if command -v java >/dev/null 2>&1; then
  say "java present ($(java -version 2>&1 | head -1))"
else
  apt_install default-jre-headless
fi

# --- 5. the browser starts and renders -----------------------------------------------------------
if [ -n "$DRY_RUN" ]; then
  say "dry run: skipping the browser check"
else
  say "starting the browser and rendering a page on 127.0.0.1"
  if [ -x node_modules/.bin/tsx ]; then
    result="$(node_modules/.bin/tsx functions/adapters/browser/self-check.ts)" || die "browser check failed: $result"
  else
    # without devDependencies: a bare launch with the crawler's flags
    result="$(node --input-type=module -e "
      import chromium from '@sparticuz/chromium';
      import puppeteer from 'puppeteer-core';
      chromium.setGraphicsMode = false;
      const path = process.env.CHROME_PATH || await chromium.executablePath();
      const args = process.env.CHROME_PATH ? ['--no-sandbox', '--disable-gpu'] : chromium.args;
      const t = Date.now();
      const b = await puppeteer.launch({ executablePath: path, headless: process.env.CHROME_PATH ? true : 'shell',
        args: [...args, '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'] });
      console.log(JSON.stringify({ ok: true, browser: await b.version(), launchMs: Date.now() - t }));
      await b.close();")" || die "browser check failed: $result"
  fi
  say "browser check: $result"
fi

if [ ${#did[@]} -eq 0 ]; then say "nothing to change: the machine was already set up"; else say "done: ${did[*]}"; fi
say "next: 'npm run demo' crawls the bundled demo site, 'npm test' runs the tests"
