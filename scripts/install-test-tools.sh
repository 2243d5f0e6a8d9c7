#!/usr/bin/env bash
# Installs the test tools that do not come from Debian into .tools/ of the source tree:
# ajv-cli, the JSON Schema validator the plan-format test runs (docs/plan.schema.json),
# and swagger-cli, the OpenAPI validator the generate test runs on every openapi.json.
# Idempotent; needs npm (Debian package `npm`) and the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .tools/node_modules/.bin/ajv ] && [ -x .tools/node_modules/.bin/swagger-cli ]; then
  echo "install-test-tools: ajv-cli and swagger-cli present"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "install-test-tools: npm is missing; install the Debian package npm (scripts/install-deps.sh)" >&2
  exit 1
fi
echo "install-test-tools: installing ajv-cli and swagger-cli into .tools/"
npm install --silent --no-audit --no-fund --prefix .tools ajv-cli@5.0.0 ajv-formats@2.1.1 \
  @apidevtools/swagger-cli@4.0.4 >/dev/null
echo "install-test-tools: done"
