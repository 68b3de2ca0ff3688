#!/usr/bin/env bash
# cfn-lint (AWS's CloudFormation linter) on the synthesized provisioned and serverless templates.
# cfn-lint is installed, pinned, into the project virtual environment .venv/ on first use (pip's cache is reused).
# Every finding fails the run; a rule that does not apply is acknowledged on its resource in lib/cfn-lint.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/require-tool.sh
require_tool python3 "cfn-lint (npm run lint:cfn)" || exit 0

requirements=scripts/requirements-cfn-lint.txt
stamp=.venv/.cfn-lint-requirements
if ! cmp -s "$requirements" "$stamp" 2>/dev/null; then
  echo "lint:cfn: installing $(grep -v '^#' "$requirements") into .venv/"
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$stamp"
fi

out=.tools/cfn-lint
rm -rf "$out"
# One synth per cluster type; each writes its own cloud assembly. The other context values come from cdk.json.
npx cdk synth --quiet --output "$out/provisioned" -c clusterType=provisioned >/dev/null
npx cdk synth --quiet --output "$out/serverless" -c clusterType=serverless >/dev/null
templates=("$out"/provisioned/*.template.json "$out"/serverless/*.template.json)
.venv/bin/cfn-lint --version
.venv/bin/cfn-lint -- "${templates[@]}"
echo "lint:cfn: ${#templates[@]} templates, no cfn-lint finding"
