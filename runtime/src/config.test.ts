import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseServeConfig, serveHelp } from "./config.js";

const base = ["--model-uri", "/models/m", "--model-name", "m"];

describe("parseServeConfig", () => {
  it("takes API keys from Vault only with both path and key, and not together with static tokens", () => {
    const vault = ["--auth-vault-path", "secret/data/t/api-keys", "--auth-vault-key", "iris"];
    expect(parseServeConfig([...base, ...vault], {})).toMatchObject({
      authVaultPath: "secret/data/t/api-keys",
      authVaultKey: "iris",
    });
    expect(() => parseServeConfig([...base, "--auth-vault-path", "secret/data/t/k"], {})).toThrow(/go together/);
    expect(() => parseServeConfig([...base, ...vault, "--auth-token-file", "/keys"], {})).toThrow(/use one/);
  });

  it("finding: LIFTOFF_AUTH_TOKENS (plain env keys) is refused: keys come only from a file or Vault", () => {
    expect(() => parseServeConfig(base, { LIFTOFF_AUTH_TOKENS: "t1,t2" })).toThrow(
      "LIFTOFF_AUTH_TOKENS is no longer read (keys in the environment leak): give them in --auth-token-file or Vault (--auth-vault-path)",
    );
    expect(parseServeConfig(base, {})).not.toHaveProperty("authTokens");
    expect(serveHelp()).not.toContain("LIFTOFF_AUTH_TOKENS");
  });

  it("applies defaults", () => {
    expect(parseServeConfig(base, {})).toEqual({
      modelUri: "/models/m",
      modelName: "m",
      modelVersion: "1",
      modelDigest: undefined,
      host: "0.0.0.0",
      port: 8080,
      grpcPort: undefined,
      backend: "auto",
      modelFormat: "auto",
      onnxThreads: 0,
      savedModelTags: "serve",
      savedModelSignature: "serving_default",
      gpu: false,
      modelCache: undefined,
      modelCacheBytes: 20 * 1024 ** 3,
      memoryLimit: 0,
      llmContextSize: 2048,
      llmThreads: 0,
      llmGpuLayers: 0,
      llmParallel: 4,
      llmMaxTokens: 512,
      llmChatTemplate: undefined,
      maxBatchSize: 1,
      maxLatencyMs: 0,
      maxRequestRows: 1024,
      bodyLimitBytes: 10485760,
      maxPendingRequests: 256,
      requestTimeoutMs: 30000,
      headersTimeoutMs: 10000,
      grpcMaxConcurrentStreams: 100,
      authTokenFile: undefined,
      authVaultPath: undefined,
      authVaultKey: undefined,
      authRefreshSeconds: 15,
      authGraceSeconds: 60,
      pvcRoot: "/mnt/pvc",
      shutdownDelayMs: 0,
      logLevel: "info",
      baselineUri: undefined,
      monitoringWindowSeconds: 600,
      monitoringReportSeconds: 60,
      feedback: false,
      predictionTtlSeconds: 3600,
      predictionStoreRows: 100000,
    });
  });

  it("reads every flag from its env var, flags win, POD_IP is the default host", () => {
    const env = {
      LIFTOFF_MODEL_URI: "pvc://c/m",
      LIFTOFF_MODEL_NAME: "env-name",
      LIFTOFF_PORT: "9000",
      LIFTOFF_BACKEND: "wasm",
      LIFTOFF_MAX_BATCH_SIZE: "16",
      LIFTOFF_MODEL_DIGEST: `sha256:${"AB".repeat(32)}`,
      POD_IP: "10.1.2.3",
      LIFTOFF_FEEDBACK: "true",
    };
    const c = parseServeConfig(["--model-name=flag-name", "--max-batch-size", "8"], env);
    expect(c).toMatchObject({
      modelUri: "pvc://c/m",
      modelName: "flag-name",
      port: 9000,
      backend: "wasm",
      maxBatchSize: 8,
      modelDigest: "ab".repeat(32),
      host: "10.1.2.3",
      feedback: true,
    });
    expect(parseServeConfig([...base, "--host", "127.0.0.1"], { POD_IP: "10.1.2.3" }).host).toBe("127.0.0.1");
  });

  it.each([
    [[], "--model-uri (or LIFTOFF_MODEL_URI) is required"],
    [["--model-uri", "x"], "--model-name (or LIFTOFF_MODEL_NAME) is required"],
    [[...base, "--port", "abc"], "--port must be an integer, got 'abc'"],
    [[...base, "--port", "70000"], "--port must be between 0 and 65535, got 70000"],
    [[...base, "--backend", "gpu"], "--backend must be one of auto, tensorflow, tensorflow-gpu, wasm, cpu, got 'gpu'"],
    [[...base, "--feedback", "yes"], "--feedback must be true or false, got 'yes'"],
    [[...base, "--monitoring-window-seconds", "0"], "--monitoring-window-seconds must be between 1 and 86400, got 0"],
    [[...base, "--max-batch-size", "0"], "--max-batch-size must be between 1 and 65536, got 0"],
    [[...base, "--model-digest", "md5:abc"], "--model-digest must look like sha256:<64 hex digits>, got 'md5:abc'"],
    [
      ["--model-uri", "x", "--model-name", "a/b"],
      "--model-name must be 1-128 of [A-Za-z0-9_.-] starting with a letter or digit, got 'a/b'",
    ],
    [[...base, "--bogus", "1"], "Unknown option '--bogus' (see serve --help)"],
    [[...base, "--port"], "Option '--port <value>' argument missing (see serve --help)"],
    [[...base, "--port", "1", "--port", "2"], "flag --port is given twice"],
    [
      [...base, "stray"],
      "Unexpected argument 'stray'. This command does not take positional arguments (see serve --help)",
    ],
  ])("rejects %j with a one-line error", (argv, message) => {
    expect(() => parseServeConfig(argv, {})).toThrow(message);
  });

  it("names the env var when the bad value came from the environment", () => {
    expect(() => parseServeConfig(base, { LIFTOFF_MAX_LATENCY_MS: "soon" })).toThrow(
      "LIFTOFF_MAX_LATENCY_MS must be an integer, got 'soon'",
    );
  });

  it("documents every flag with its env var in --help", () => {
    const help = serveHelp();
    for (const flag of ["--model-uri", "LIFTOFF_MODEL_URI", "--max-batch-size", "LIFTOFF_PVC_ROOT"]) {
      expect(help).toContain(flag);
    }
  });
});

// Each case spawns node + tsx (about 1 s here); allow for a loaded CI machine.
describe("CLI", { timeout: 60_000 }, () => {
  const main = path.join(path.dirname(fileURLToPath(import.meta.url)), "main.ts");
  const run = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ["--import", "tsx", main, ...args],
        { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 60_000 },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
      );
    });

  it.each([
    [["serve", "--model-uri", "/m", "--model-name", "m", "--port", "x"], "--port must be an integer, got 'x'"],
    [["serve", "--model-name", "m"], "--model-uri (or LIFTOFF_MODEL_URI) is required"],
    [
      ["serve", "--model-uri", "gs://b/m", "--model-name", "m"],
      "model URI scheme 'gs://' is not supported (use a path, file://, pvc://, http(s):// or s3://)",
    ],
    [
      ["serve", "--model-uri", "s3://b/m", "--model-name", "m"],
      "model URI 's3://b/m' must look like s3://<bucket>/<key> (a bucket name of 3-63 lower-case letters, digits, dots or hyphens, and a key)",
    ],
    [["fly"], "unknown command 'fly' (expected serve, prepare, train, erase)"],
    [["train"], "--spec <TrainingJob manifest> is required"],
  ])("%j exits 2 with one line on stderr", async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`liftoff-runtime: error: ${message}\n`);
  });

  it("serve --help lists the flags and exits 0", async () => {
    const r = await run(["serve", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--model-uri");
  });
});
