#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3, the last line that runs on Node 20) into
# .vscode-test/code-server, following ../shared/recipes/vscode-in-ci.md. Reused when present.
# Needs Debian packages: chromium ripgrep pkg-config libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev
set -euo pipefail
VERSION=4.100.3
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.vscode-test/code-server"
marker="$dir/.installed-$VERSION"
if [ -f "$marker" ]; then
  echo "code-server $VERSION already installed in $dir"
  exit 0
fi
for tool in rg g++ make python3; do
  command -v "$tool" >/dev/null || { echo "install-code-server: '$tool' is missing (apt-get install ripgrep g++ make python3)" >&2; exit 1; }
done
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
echo '{"name":"opsloop-code-server","private":true}' > package.json
export npm_config_yes=true npm_config_audit=false npm_config_fund=false
npm install --ignore-scripts --no-save "code-server@$VERSION" >/dev/null
npm rebuild argon2 >/dev/null
cd node_modules/code-server/lib/vscode
npm install --omit=dev --ignore-scripts >/dev/null
mkdir -p node_modules/@vscode/ripgrep/bin
cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
npm rebuild kerberos node-pty @vscode/spdlog native-watchdog @parcel/watcher @vscode/deviceid >/dev/null
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sfn code-linux.sh code-server)
(cd bin/helpers && ln -sfn browser-linux.sh browser.sh)
(cd extensions && npm install --omit=dev >/dev/null)
touch "$marker"
echo "code-server $VERSION installed in $dir"
