#!/usr/bin/env bash
# cargo deny: bans, licenses and sources always; advisories from the offline
# snapshot in ../shared/rustsec when it is there (CI), else from the network.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-deny >/dev/null || cargo install cargo-deny --locked --quiet
cargo deny check bans licenses sources
snapshot=../shared/rustsec/advisory-db.tar.gz
if [ -f "$snapshot" ]; then
  db=$(mktemp -d)
  trap 'rm -rf "$db"' EXIT
  tar xzf "$snapshot" -C "$db"
  mv "$db/advdb" "$db/advisory-db-3157b0e258782691"
  sed "s|^db-path = .*|db-path = \"$db\"|" deny.toml > "$db/deny.toml"
  cargo deny --offline --config "$db/deny.toml" check advisories
else
  cargo deny check advisories
fi
