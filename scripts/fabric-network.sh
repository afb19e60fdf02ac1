#!/usr/bin/env bash
# The docker-compose `fabric` profile end to end: crypto material, the whitelist channel, and the
# whitelist contract deployed as chaincode-as-a-service. Needs Docker with compose (v2 plugin or
# docker-compose v1.29+); every Fabric tool runs in hyperledger/fabric-tools:2.5, nothing is installed
# on the host. See docs/fabric.md.
#
#   scripts/fabric-network.sh up       cryptogen + configtxgen, start orderer and peers, join the channel
#   scripts/fabric-network.sh deploy   package (pipeline chaincode package), install on both peers,
#                                      start the chaincode service, approve for OrgHQ and OrgBR, commit
#   scripts/fabric-network.sh smoke    CreateAsset as OrgHQ's admin, then AssetExists/ReadAsset on both peers
#   scripts/fabric-network.sh all      up, deploy, smoke
#   scripts/fabric-network.sh down     stop the fabric services, delete their volumes and the generated material
#
# Environment: CHANNEL (whitelist), CC_NAME (whitelist), CC_LABEL (whitelist_1.0), CC_VERSION (1.0),
# CC_SEQUENCE (1), CC_ADDRESS (whitelist-cc:9999), TIMEOUT_SECONDS (60, for each readiness wait).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
compose_file="$root/docker-compose.yml"
fabric_dir="$root/deploy/fabric"
channel="${CHANNEL:-whitelist}"
cc_name="${CC_NAME:-whitelist}"
cc_label="${CC_LABEL:-whitelist_1.0}"
cc_version="${CC_VERSION:-1.0}"
cc_sequence="${CC_SEQUENCE:-1}"
cc_address="${CC_ADDRESS:-whitelist-cc:9999}"
timeout_seconds="${TIMEOUT_SECONDS:-60}"
# Any one organisation's peer may endorse: a whitelist lookup is answered by whichever peer the
# peer index picks. (Lifecycle changes still need both organisations: configtx.yaml's MAJORITY.)
endorsement_policy="OR('OrgHQMSP.peer','OrgBRMSP.peer')"

# Paths as seen inside the fabric-tools container (deploy/fabric is mounted at /fabric).
orgs=/fabric/organizations
orderer_ca="$orgs/ordererOrganizations/example.com/tlsca/tlsca.example.com-cert.pem"
orderer_tls="$orgs/ordererOrganizations/example.com/orderers/orderer.example.com/tls"

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose -f "$compose_file")
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose -f "$compose_file")
else
  echo "error: needs Docker with the compose plugin (docker compose) or docker-compose v1.29+" >&2
  exit 1
fi

log() { printf '==> %s\n' "$*" >&2; }

# Runs a command in the fabric-tools container; extra `-e NAME=VALUE` pairs come first.
tools() {
  local env=()
  while [ $# -gt 0 ] && [ "$1" = "-e" ]; do env+=("-e" "$2"); shift 2; done
  "${compose[@]}" --profile fabric-tools run --rm -T "${env[@]}" fabric-tools "$@"
}

# The peer CLI environment of an organisation's admin (hq or br).
org_env() {
  local org="$1" domain msp
  case "$org" in
    hq) domain=orghq.example.com; msp=OrgHQMSP ;;
    br) domain=orgbr.example.com; msp=OrgBRMSP ;;
    *) echo "error: unknown organisation '$org' (hq or br)" >&2; return 1 ;;
  esac
  printf '%s\n' \
    -e "CORE_PEER_TLS_ENABLED=true" \
    -e "CORE_PEER_LOCALMSPID=$msp" \
    -e "CORE_PEER_ADDRESS=peer0.$domain:7051" \
    -e "CORE_PEER_TLS_ROOTCERT_FILE=$orgs/peerOrganizations/$domain/tlsca/tlsca.$domain-cert.pem" \
    -e "CORE_PEER_MSPCONFIGPATH=$orgs/peerOrganizations/$domain/users/Admin@$domain/msp"
}

as_org() { # as_org hq|br COMMAND...
  local org="$1"; shift
  local env=()
  mapfile -t env < <(org_env "$org")
  tools "${env[@]}" "$@"
}

# Retries a command until it succeeds or TIMEOUT_SECONDS pass (nodes take a moment to listen).
retry() {
  local deadline=$((SECONDS + timeout_seconds))
  until "$@"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "error: still failing after ${timeout_seconds}s: $*" >&2
      return 1
    fi
    sleep 2
  done
}

cmd_up() {
  log "crypto material (cryptogen) -> deploy/fabric/organizations"
  if [ ! -d "$fabric_dir/organizations" ]; then
    tools cryptogen generate --config=/fabric/crypto-config.yaml --output="$orgs"
  else
    log "  already present; 'down' removes it"
  fi

  log "channel genesis block (configtxgen) -> deploy/fabric/channel-artifacts/$channel.block"
  mkdir -p "$fabric_dir/channel-artifacts"
  tools configtxgen -profile WhitelistChannel -channelID "$channel" -outputBlock "/fabric/channel-artifacts/$channel.block"

  log "starting orderer.example.com, peer0.orghq.example.com, peer0.orgbr.example.com"
  "${compose[@]}" --profile fabric up -d orderer.example.com peer0.orghq.example.com peer0.orgbr.example.com

  log "orderer joins $channel (osnadmin, channel participation API)"
  if ! tools osnadmin channel list -o orderer.example.com:7053 --ca-file "$orderer_ca" \
      --client-cert "$orderer_tls/server.crt" --client-key "$orderer_tls/server.key" 2>/dev/null | grep -q "\"$channel\""; then
    retry tools osnadmin channel join --channelID "$channel" --config-block "/fabric/channel-artifacts/$channel.block" \
      -o orderer.example.com:7053 --ca-file "$orderer_ca" --client-cert "$orderer_tls/server.crt" --client-key "$orderer_tls/server.key"
  fi

  for org in hq br; do
    log "peer of $org joins $channel"
    if ! as_org "$org" peer channel list 2>/dev/null | grep -qx "$channel"; then
      retry as_org "$org" peer channel join -b "/fabric/channel-artifacts/$channel.block"
    fi
  done
}

cmd_deploy() {
  log "building the platform image (pipeline:local) for the chaincode service"
  "${compose[@]}" --profile fabric build whitelist-cc

  log "ccaas package for $cc_address (pipeline chaincode package)"
  local package_id
  package_id=$("${compose[@]}" --profile fabric run --rm -T --no-deps -v "$fabric_dir:/fabric" whitelist-cc \
    chaincode package --address "$cc_address" --label "$cc_label" --output /fabric/whitelist.tgz | tail -n 1)
  case "$package_id" in
    "$cc_label":*) log "  package id $package_id" ;;
    *) echo "error: 'pipeline chaincode package' printed '$package_id', not a package id" >&2; exit 1 ;;
  esac

  for org in hq br; do
    log "install on the peer of $org"
    if ! as_org "$org" peer lifecycle chaincode queryinstalled 2>/dev/null | grep -q "$package_id"; then
      as_org "$org" peer lifecycle chaincode install /fabric/whitelist.tgz
    fi
  done

  log "starting the chaincode service whitelist-cc (CHAINCODE_ID=$package_id)"
  CHAINCODE_ID="$package_id" "${compose[@]}" --profile fabric up -d whitelist-cc

  for org in hq br; do
    log "approve $cc_name $cc_version (sequence $cc_sequence) for $org"
    as_org "$org" peer lifecycle chaincode approveformyorg -o orderer.example.com:7050 --tls --cafile "$orderer_ca" \
      --channelID "$channel" --name "$cc_name" --version "$cc_version" --sequence "$cc_sequence" \
      --package-id "$package_id" --signature-policy "$endorsement_policy"
  done

  as_org hq peer lifecycle chaincode checkcommitreadiness --channelID "$channel" --name "$cc_name" \
    --version "$cc_version" --sequence "$cc_sequence" --signature-policy "$endorsement_policy" --output json

  log "commit $cc_name on $channel (endorsed by both organisations' peers)"
  as_org hq peer lifecycle chaincode commit -o orderer.example.com:7050 --tls --cafile "$orderer_ca" \
    --channelID "$channel" --name "$cc_name" --version "$cc_version" --sequence "$cc_sequence" \
    --signature-policy "$endorsement_policy" \
    --peerAddresses peer0.orghq.example.com:7051 --tlsRootCertFiles "$orgs/peerOrganizations/orghq.example.com/tlsca/tlsca.orghq.example.com-cert.pem" \
    --peerAddresses peer0.orgbr.example.com:7051 --tlsRootCertFiles "$orgs/peerOrganizations/orgbr.example.com/tlsca/tlsca.orgbr.example.com-cert.pem"
  as_org hq peer lifecycle chaincode querycommitted --channelID "$channel" --name "$cc_name"
}

asset_exists() { # asset_exists hq|br SHA: true when the peer of that organisation answers AssetExists with true
  as_org "$1" peer chaincode query -C "$channel" -n "$cc_name" -c "{\"Args\":[\"AssetExists\",\"$2\"]}" | grep -q true
}

create_asset() { # create_asset SHA: CreateAsset as OrgHQ's admin unless the asset exists already
  asset_exists hq "$1" || as_org hq peer chaincode invoke -o orderer.example.com:7050 --tls --cafile "$orderer_ca" \
    -C "$channel" -n "$cc_name" --waitForEvent \
    --peerAddresses peer0.orghq.example.com:7051 --tlsRootCertFiles "$orgs/peerOrganizations/orghq.example.com/tlsca/tlsca.orghq.example.com-cert.pem" \
    -c "{\"Args\":[\"CreateAsset\",\"$1\",\"smoke\",\"1.0\",\"linux-x64\",\"user\"]}"
}

cmd_smoke() {
  # A fixed hash: SHA-256 of the text "pipeline-fabric-smoke".
  local sha
  sha=$(printf 'pipeline-fabric-smoke' | sha256sum | cut -d' ' -f1)
  log "CreateAsset $sha as Admin@orghq.example.com (OU=admin -> role=admin)"
  # Retried while the peers first dial the chaincode service; a retry after a commit finds the asset.
  retry create_asset "$sha"
  for org in hq br; do
    log "AssetExists and ReadAsset on the peer of $org"
    retry asset_exists "$org" "$sha"
    as_org "$org" peer chaincode query -C "$channel" -n "$cc_name" -c "{\"Args\":[\"ReadAsset\",\"$sha\"]}"
  done
}

cmd_down() {
  log "stopping the fabric services and deleting their volumes"
  "${compose[@]}" --profile fabric rm -s -f -v orderer.example.com peer0.orghq.example.com peer0.orgbr.example.com whitelist-cc || true
  local project volume
  project=$(basename "$root" | tr '[:upper:]' '[:lower:]' | tr -cd 'a-z0-9_-')
  for volume in orderer-data peer0-orghq-data peer0-orgbr-data; do
    docker volume rm -f "${COMPOSE_PROJECT_NAME:-$project}_$volume" >/dev/null 2>&1 || true
  done
  log "removing deploy/fabric/organizations, channel-artifacts and whitelist.tgz"
  # The material was written by root inside the tools container; delete it from there too.
  tools rm -rf /fabric/organizations /fabric/channel-artifacts /fabric/whitelist.tgz
}

case "${1:-}" in
  up) cmd_up ;;
  deploy) cmd_deploy ;;
  smoke) cmd_smoke ;;
  all) cmd_up; cmd_deploy; cmd_smoke ;;
  down) cmd_down ;;
  *) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac
