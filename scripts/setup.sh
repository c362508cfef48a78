#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine for local crawls and the test suite: the shared libraries
# Chromium needs, the npm packages, and a check that the browser starts. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }

# @sparticuz/chromium's binary links against NSS (libnss3, which brings libnspr4); Java runs
# DynamoDB Local. Install only what is missing.
missing=()
dpkg -s libnss3 >/dev/null 2>&1 || missing+=(libnss3)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
    say "missing packages: ${missing[*]} — install them as root (apt-get install ${missing[*]})"; exit 1
  fi
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "system libraries present"
fi

if [ -f package-lock.json ]; then
  say "npm ci"; npm ci --no-audit --no-fund --loglevel=error
else
  say "npm install"; npm install --no-audit --no-fund --loglevel=error
fi

# Extract Chromium once, make sure every library it links against is there, and start it.
AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true node --input-type=module -e "
import chromium from '@sparticuz/chromium';
import puppeteer from 'puppeteer-core';
import { execFileSync } from 'node:child_process';
const path = process.env.CHROME_PATH || await chromium.executablePath();
const unresolved = execFileSync('ldd', [path]).toString().split('\n').filter((l) => l.includes('not found'));
if (unresolved.length) { console.error('[setup] Chromium is missing libraries:\n' + unresolved.join('\n')); process.exit(1); }
const started = Date.now();
const browser = await puppeteer.launch({ executablePath: path, args: chromium.args, headless: 'shell' });
console.log('[setup] Chromium ' + (await browser.version()) + ' starts (' + (Date.now() - started) + ' ms): ' + path);
await browser.close();
"
say "done: 'npm run demo' crawls the bundled demo site, 'npm test' runs the tests"
