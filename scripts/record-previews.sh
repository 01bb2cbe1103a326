#!/usr/bin/env bash
# Records the previews tests/ci/preview-comment.test.ts renders, from the real
# pulumi CLI on a simulated datacenter of its own:
#   clean/          sim from empty: creates only, no policy finding
#   replace-delete/ sim after `up`, with the business renamed: its tier is
#                   deleted and created anew, Grafana's dashboard ConfigMap
#                   replaced
#   preview-error/  the same plus the Elasticsearch data volume resized: the
#                   StatefulSet must be replaced (its claim templates are
#                   immutable) and the API server refuses the replacement's
#                   dry-run while the old one exists, so the preview fails
#   violations/     the hand-written bad tier (tests/e2e/fixtures/bad-tier):
#                   mandatory policy violations, the preview fails
# The state lives in the S3-compatible backend (scripts/state-backend.sh), as
# in the pipeline, and the preview command is the workflow's.
# Each directory holds what the pipeline records per datacenter:
# <stack>.events.jsonl (the streamed preview) and <stack>.exit. To keep the
# fixtures small, the resources' old/new state payloads (which the comment
# does not read) are dropped, and only step, policy, summary and diagnostic
# events are kept.
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
export PULUMI_CONFIG_PASSPHRASE=private-cloud-local-only
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
  PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true pulumi preview --stack "$stack" --policy-pack "$repo/policy" \
    --non-interactive --color never --json "$@" > "$work/events.jsonl" 2> "$work/stderr" || rc=$?
  echo "$rc" > "$out/$dir/$stack.exit"
  if [ ! -s "$work/events.jsonl" ]; then
    echo "pulumi preview of $stack printed no JSON (exit $rc):" >&2
    tail -n 40 "$work/stderr" >&2
    return 1
  fi
  node -e '
    const fs = require("fs");
    const [events, outEvents] = process.argv.slice(1);
    const keep = [];
    for (const line of fs.readFileSync(events, "utf8").split("\n")) {
      if (!line.trim()) continue;
      const e = JSON.parse(line);
      if (e.resourcePreEvent) {
        const m = e.resourcePreEvent.metadata;
        delete m.old; delete m.new;
      }
      if (e.resourcePreEvent || e.policyEvent || e.summaryEvent || (e.diagnosticEvent && !e.diagnosticEvent.ephemeral)) keep.push(JSON.stringify(e));
    }
    fs.writeFileSync(outEvents, keep.join("\n") + "\n");
  ' "$work/events.jsonl" "$out/$dir/$stack.events.jsonl"
  echo "recorded $dir/$stack (exit $rc)"
}

bash scripts/sim.sh up
bash scripts/state-backend.sh up
eval "$(bash scripts/state-backend.sh env)"
pulumi stack init sim --secrets-provider passphrase --non-interactive
record clean sim
pulumi up --yes --skip-preview --stack sim --policy-pack policy --non-interactive > "$work/up.log"

node -e '
  const fs = require("fs");
  const { parseDocument } = require("yaml");
  const doc = parseDocument(fs.readFileSync("Pulumi.sim.yaml", "utf8"));
  doc.setIn(["config", "private-cloud:businesses", 0, "name"], "shop2");
  fs.writeFileSync("Pulumi.sim.yaml", doc.toString());
'
record replace-delete sim
node -e '
  const fs = require("fs");
  const { parseDocument } = require("yaml");
  const doc = parseDocument(fs.readFileSync("Pulumi.sim.yaml", "utf8"));
  doc.setIn(["config", "private-cloud:logging", "dataStorageGiB"], 30);
  fs.writeFileSync("Pulumi.sim.yaml", doc.toString());
'
record preview-error sim

(
  cd tests/e2e/fixtures/bad-tier
  pulumi stack init bad --secrets-provider passphrase --non-interactive > /dev/null
  record violations bad
  pulumi stack rm bad --yes --force --preserve-config --non-interactive > /dev/null
)
