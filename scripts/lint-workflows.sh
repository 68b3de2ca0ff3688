#!/usr/bin/env bash
# actionlint on .github/workflows/*.yml. actionlint (a Go tool, pinned) is built into .tools/bin/ on first use
# from the Go module proxy. shellcheck and pyflakes integrations are off so the result is the same on every machine.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/require-tool.sh
require_tool go "actionlint (npm run lint:workflows)" || exit 0

version=v1.7.12
bin="$PWD/.tools/bin"
if [ "$("$bin/actionlint" -version 2>/dev/null | head -n 1)" != "$version" ]; then
  echo "lint:workflows: installing actionlint $version into .tools/bin/"
  GOBIN="$bin" go install "github.com/rhysd/actionlint/cmd/actionlint@$version"
fi
"$bin/actionlint" -shellcheck= -pyflakes= .github/workflows/*.yml
echo "lint:workflows: $(ls .github/workflows/*.yml | wc -l) workflows, no actionlint finding"
