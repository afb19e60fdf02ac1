#!/usr/bin/env bash
# Prepares the .proto sources Pipeline.Ledger compiles with Grpc.Tools:
#   1. installs Fabric's protos from npm (fabric-protos, pinned with its integrity hash in
#      package-lock.json; `npm ci` refuses a tarball whose hash differs), and
#   2. copies the files we use, plus our own hand-written ones under local/, into OUT_DIR with a
#      csharp_namespace option per proto package, so the generated C# lands in
#      Pipeline.Ledger.Fabric.Protos.* instead of global namespaces such as `Common` and `Protos`.
# The wire format is untouched: proto package names (common, protos, gateway, ...) stay as Fabric has them.
# Usage: prepare.sh OUT_DIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: prepare.sh OUT_DIR}"
package="$here/node_modules/fabric-protos"

if [ ! -f "$package/package.json" ] || [ "$here/package-lock.json" -nt "$package/package.json" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "error: npm is required to fetch Fabric's .proto sources (npm package fabric-protos@2.2.20)" >&2
    exit 1
  fi
  (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  touch "$package/package.json"
fi

# Fabric's files that the gateway client, the embedded peers and the chaincode shim need.
fabric_files=(
  common/common.proto common/policies.proto msp/msp_principal.proto msp/identities.proto
  peer/chaincode.proto peer/chaincode_event.proto peer/chaincode_shim.proto peer/proposal.proto
  peer/proposal_response.proto peer/transaction.proto orderer/ab.proto
  ledger/queryresult/kv_query_result.proto ledger/rwset/rwset.proto ledger/rwset/kvrwset/kv_rwset.proto
)

namespace_of() {
  case "$1" in
    common) echo Common ;;
    protos) echo Peer ;;
    msp) echo Msp ;;
    orderer) echo Orderer ;;
    queryresult) echo QueryResult ;;
    rwset) echo RwSet ;;
    kvrwset) echo KvRwSet ;;
    gateway) echo Gateway ;;
    google.rpc) echo Rpc ;;
    *) echo "error: no C# namespace mapped for proto package '$1' (add it to $0)" >&2; return 1 ;;
  esac
}

copy_with_namespace() { # source relative-path
  local source="$1" target="$out/$2" package
  package=$(sed -n 's/^package \([a-z_.]*\);.*/\1/p' "$source")
  [ -n "$package" ] || { echo "error: $source has no package line" >&2; return 1; }
  mkdir -p "$(dirname "$target")"
  awk -v ns="Pipeline.Ledger.Fabric.Protos.$(namespace_of "$package")" \
    '{ print } /^package / { print "option csharp_namespace = \"" ns "\";" }' "$source" >"$target.tmp"
  if [ -f "$target" ] && cmp -s "$target" "$target.tmp"; then rm "$target.tmp"; else mv "$target.tmp" "$target"; fi
}

for f in "${fabric_files[@]}"; do
  copy_with_namespace "$package/protos/$f" "$f"
done
if [ -d "$here/local" ]; then
  while IFS= read -r f; do
    copy_with_namespace "$here/local/$f" "$f"
  done < <(cd "$here/local" && find . -name '*.proto' | sed 's|^\./||' | sort)
fi
