import { configDefaults, defineConfig } from "vitest/config";

/** Every unit test; vitest.check.config.ts runs the fast ones among them. */
export const UNIT_TESTS = [
  "operator/src/**/*.test.ts",
  "runtime/src/**/*.test.ts",
  "plugin/src/**/*.test.ts",
  "hack/**/*.test.ts",
  "devcluster/**/*.test.ts",
  "test/unit/**/*.test.ts",
];

/** operator/src/contract links to runtime/src/contract: its tests run once, under the runtime's path. */
export const UNIT_EXCLUDE = [...configDefaults.exclude, "operator/src/contract/**"];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          // Unit tests run beside the integration project on two cores; DuckDB and TF.js tests that take 1-3 s idle
          // can pass 5 s then. A hang still fails.
          testTimeout: 30_000,
          include: UNIT_TESTS,
          exclude: UNIT_EXCLUDE,
          environment: "node",
        },
      },
      {
        test: {
          // Official Python clients and a fuzzer against real runtime processes; no cluster.
          name: "clients",
          include: ["test/clients/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          environment: "node",
          // One real control plane per run, shared by every integration file.
          globalSetup: ["test/integration/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
