// The unit tests `npm run check` runs before each commit: all of them except the slow ones, so that the whole check
// stays under a minute on two cores. `npm test` still runs every unit test (vitest.config.ts).
import { defineConfig } from "vitest/config";
import { UNIT_EXCLUDE, UNIT_TESTS } from "./vitest.config.js";

/**
 * Unit test files left to `npm test`. Measured here on 2026-12-06, the whole unit project costs about 71 CPU-seconds
 * and the files below about 52 of them: each imports TF.js, DuckDB or gRPC (a second or more per file before any test
 * runs), or spawns processes. test/unit/fast-tests.test.ts checks that each entry still names a file, so a moved test
 * cannot silently join the fast set.
 */
export const SLOW_UNIT_TESTS = [
  // TF.js models, backends and servers
  "runtime/src/artifact.test.ts",
  "runtime/src/backends.test.ts",
  "runtime/src/serve/http/bad-requests.test.ts",
  "runtime/src/serve/batcher.test.ts",
  "runtime/src/serve/http/binary.test.ts",
  "runtime/src/serve/conformance.*.test.ts",
  "runtime/src/serve/grpc/grpc.test.ts",
  "runtime/src/serve/metrics.test.ts",
  "runtime/src/serve/model/model.test.ts",
  "runtime/src/serve/monitoring/monitoring.test.ts",
  "runtime/src/serve/start.test.ts",
  "runtime/src/serve/http/allow.test.ts",
  "runtime/src/serve/http/app.test.ts",
  // llama.cpp on the real 98 MB GGUF model (generation on two shared cores: about 90 s)
  "runtime/src/serve/llm/llm.test.ts",
  // the real MiniLM embedding GGUF, 21 tests (about 75 s on two shared cores)
  "runtime/src/serve/llm/embeddings.test.ts",
  "runtime/src/train/adam.test.ts",
  "runtime/src/train/dp-plan.test.ts",
  "runtime/src/train/dp-step.test.ts",
  "runtime/src/train/dp-train.test.ts",
  "runtime/src/train/input.test.ts",
  "runtime/src/train/layers.test.ts",
  "runtime/src/train/objective.test.ts",
  "runtime/src/train/parity.test.ts",
  "runtime/src/train/step.test.ts",
  "runtime/src/train/train.test.ts",
  // DuckDB
  "runtime/src/prepare/command.test.ts",
  "runtime/src/prepare/pipeline.test.ts",
  "runtime/src/prepare/s3-output.test.ts",
  "runtime/src/prepare/split.test.ts",
  "runtime/src/prepare/transforms.test.ts",
  "hack/demo/demo.test.ts",
  "hack/demo/steps.test.ts",
  "hack/demo/plugin.test.ts",
  // Child processes: node + tsx per case, bash builds, shellcheck over every script, checkov and the liftoff Python
  // package's unittest suite (after `hack/setup.ts test`)
  "runtime/src/config.test.ts",
  "hack/build-binaries.test.ts",
  "hack/scripts.test.ts",
  "hack/device-check.test.ts",
  "test/unit/checkov.test.ts",
  "test/unit/python-liftoff.test.ts",
  "test/unit/cli-help.test.ts",
  "plugin/src/completion/scripts.test.ts",
  "plugin/src/main.test.ts",
  // Start a real weed S3 server (built by `hack/setup.ts test`)
  "test/unit/s3-server.test.ts",
  "runtime/src/storage/s3.test.ts",
  "runtime/src/s3-data.test.ts",
  "runtime/src/model-s3.test.ts",
  "test/unit/serve-s3.test.ts",
  // Generates a PKI and serves TLS
  "operator/src/report/report.test.ts",
];

export default defineConfig({
  test: {
    name: "fast",
    include: UNIT_TESTS,
    exclude: [...UNIT_EXCLUDE, ...SLOW_UNIT_TESTS],
    environment: "node",
    // As in vitest.config.ts: a loaded machine can slow a test past 5 s; a hang still fails.
    testTimeout: 30_000,
  },
});
