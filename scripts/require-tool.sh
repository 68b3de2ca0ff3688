# Sourced by the lint scripts: a tool that is missing fails the run in CI (CI=true) and skips it elsewhere.
# Usage: require_tool <command> <what needs it> || exit 0
require_tool() {
  local tool="$1" purpose="$2"
  if command -v "$tool" >/dev/null 2>&1; then
    return 0
  fi
  if [ "${CI:-}" = "true" ]; then
    echo "error: $tool is not installed; $purpose needs it (CI=true: a missing tool fails the run)" >&2
    exit 1
  fi
  echo "skipped: $tool is not installed; $purpose needs it (install $tool, or run in CI)" >&2
  return 1
}
