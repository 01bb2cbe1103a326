#!/usr/bin/env bash
# Records the previews tests/ci/preview-comment.test.ts renders, from the real
# pulumi CLI on a simulated datacenter of its own:
#   clean/          sim from empty: creates only, no policy finding
#   replace-delete/ sim after `up`, with the business renamed (its tier is
#                   deleted and created anew) and the Elasticsearch data
#                   volume size changed (StatefulSet replaced: its claim
#                   templates are immutable)
#   violations/     the hand-written bad tier (tests/e2e/fixtures/bad-tier):
#                   mandatory policy violations, the preview fails
# Each directory holds what the pipeline records per datacenter:
# <stack>.preview.json, <stack>.events.jsonl, <stack>.exit. To keep the
# fixtures small, the resources' old/new state payloads (which the comment
# does not read) are dropped from the JSON, and the event log keeps only the
# policy, summary and diagnostic events.
#
#   PRIVATE_CLOUD_SIM_PORT_BASE=22400 bash scripts/record-previews.sh
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# shellcheck source=scripts/env.sh
source scripts/env.sh
out="$repo/tests/ci/fixtures/previews"
work=$(mktemp -d "${TMPDIR:-/tmp}/pc-record.XXXXXX")
export PRIVATE_CLOUD_SIM_DIR="$work/sim"
export PRIVATE_CLOUD_KUBECONFIG="$work/sim/kubeconfig"
export PULUMI_BACKEND_URL="file://$work/state"
export PULUMI_CONFIG_PASSPHRASE=private-cloud-local-only
mkdir -p "$work/state"
cp Pulumi.sim.yaml "$work/Pulumi.sim.yaml.orig"
cleanup() {
  cp "$work/Pulumi.sim.yaml.orig" Pulumi.sim.yaml
  pulumi destroy --yes --skip-preview --stack sim --non-interactive > /dev/null 2>&1 || true
  bash scripts/sim.sh down > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# record DIR STACK [pulumi args...]: one recorded preview, slimmed.
record() {
  local dir=$1 stack=$2
  shift 2
  mkdir -p "$out/$dir"
  local rc=0
  pulumi preview --stack "$stack" --policy-pack "$repo/policy" --non-interactive --json \
    --event-log "$work/events.jsonl" "$@" > "$work/preview.json" 2> "$work/stderr" || rc=$?
  echo "$rc" > "$out/$dir/$stack.exit"
  node -e '
    const fs = require("fs");
    const [json, events, outJson, outEvents] = process.argv.slice(1);
    const d = JSON.parse(fs.readFileSync(json, "utf8"));
    for (const s of d.steps ?? []) { delete s.oldState; delete s.newState; }
    delete d.config;
    fs.writeFileSync(outJson, JSON.stringify(d, null, 2) + "\n");
    const keep = fs.readFileSync(events, "utf8").split("\n").filter((l) => /"(policyEvent|summaryEvent|diagnosticEvent)"/.test(l));
    fs.writeFileSync(outEvents, keep.join("\n") + "\n");
  ' "$work/preview.json" "$work/events.jsonl" "$out/$dir/$stack.preview.json" "$out/$dir/$stack.events.jsonl"
  echo "recorded $dir/$stack (exit $rc)"
}

bash scripts/sim.sh up
pulumi stack init sim --secrets-provider passphrase --non-interactive
record clean sim
pulumi up --yes --skip-preview --stack sim --policy-pack policy --non-interactive > "$work/up.log"

node -e '
  const fs = require("fs");
  const { parseDocument } = require("yaml");
  const doc = parseDocument(fs.readFileSync("Pulumi.sim.yaml", "utf8"));
  doc.setIn(["config", "private-cloud:businesses", 0, "name"], "shop2");
  doc.setIn(["config", "private-cloud:logging", "dataStorageGiB"], 30);
  fs.writeFileSync("Pulumi.sim.yaml", doc.toString());
'
record replace-delete sim

(
  cd tests/e2e/fixtures/bad-tier
  pulumi stack init bad --secrets-provider passphrase --non-interactive > /dev/null
  record violations bad
  pulumi stack rm bad --yes --force --non-interactive > /dev/null
)
