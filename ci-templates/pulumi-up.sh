#!/usr/bin/env bash
# `pulumi up` of one datacenter for the deploy pipelines (GitHub and GitLab):
# the SSH key for host work goes into the stack's config as a secret in this
# checkout only (never committed), then the update runs with the policy pack.
#   STACK=dc-a SSH_PRIVATE_KEY="$(cat key)" bash ci-templates/pulumi-up.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
: "${STACK:?STACK is not set (expected the datacenter stack, e.g. dc-a)}"
# shellcheck source=scripts/env.sh
source scripts/env.sh
if [[ -n "${SSH_PRIVATE_KEY:-}" ]]; then
  printf '%s\n' "$SSH_PRIVATE_KEY" | pulumi config set --secret --stack "$STACK" private-cloud:sshPrivateKey --non-interactive
else
  # The program refuses `up` with host access on and no key, naming the setting.
  echo "SSH_PRIVATE_KEY is empty: a stack with host access enabled will refuse to run" >&2
fi
# Through scripts/pulumi.sh: a cancelled job ends pulumi's plugins too, and
# the stack's lock is then removed with `npm run unlock -- <dc>` (README "Day two").
bash scripts/pulumi.sh up --stack "$STACK" --policy-pack policy --yes --non-interactive --diff
