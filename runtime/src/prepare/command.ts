// `liftoff-runtime prepare`: runs the DataSet pipeline from a manifest (locally) or from the operator's env (in the
// Job), and reports the outcome over the result-reporting channel when LIFTOFF_REPORT_URL is set. Exit codes: 0 done,
// 3 a failure retrying cannot fix (bad data or spec: the Job's podFailurePolicy fails the Job at once), 1 a failure
// that may pass on retry (source or Vault unreachable), 2 bad flags.
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { type CapturedSourceEnv, PREPARE_RETRIED_REASONS } from "../contract/dataset.js";
import { POD_ENV } from "../contract/pod-env.js";
import type { ReportUpdate } from "../contract/report.js";
import { retentionPolicy, type VersionRecord } from "../contract/retention.js";
import { storageNeedsVault } from "../contract/storage.js";
import { parseOwner } from "../crypto/version-keys.js";
import { EgressError, egressPolicy } from "../net/egress.js";
import { ReportError, reporterFromEnv } from "../report/reporter.js";
import { isS3Uri, openS3 } from "../s3-uri.js";
import { type VaultKvClient, vaultClientFromEnv } from "../vault/index.js";
import { type CapturedContext, type LoadedCaptured, loadCaptured } from "./captured-source.js";
import { noSpaceError, PrepareError, PrepareReason, type PrepareReasonName, storageFailure } from "./errors.js";
import { PREPARE_HELP } from "./help.js";
import { pruneVersions, removeAllVersions, type Shred } from "./output.js";
import { type KeyStore, type PrepareResult, type PrepareSecrets, runPrepare, shredWith } from "./pipeline.js";
import { cleanCrashedWrites, pruneS3Versions, publishToS3, removeAllS3Versions } from "./s3-output.js";
import { openSource } from "./source.js";
import { type CapturedSpec, loadSpecFile, type PrepareSpec, specWithDefaults } from "./spec.js";
import { statusSummary } from "./summary.js";

const EXIT_PERMANENT = 3;

/** The shared Vault client when the env names a Vault (spec fields that need one fail clearly without it). */
async function secretsFromEnv(env: NodeJS.ProcessEnv): Promise<VaultKvClient | undefined> {
  if (!env.LIFTOFF_VAULT_ADDR) return undefined;
  try {
    return await vaultClientFromEnv(env);
  } catch (err) {
    throw vaultError(err);
  }
}

/** A VaultError (runtime/src/vault) becomes the prepare reason of the same name. */
function vaultError(err: unknown): Error {
  const reason = (err as { reason?: string }).reason;
  if (reason && reason in PrepareReason) {
    return new PrepareError(reason as PrepareReasonName, (err as Error).message);
  }
  return err as Error;
}

/** Whether the spec reads Vault besides captured traffic: a postgres DSN, a hashPII salt, encryption, S3 keys. */
function needsVault(spec: PrepareSpec): boolean {
  const s3 = spec.source.s3 !== undefined || spec.output.uri !== undefined;
  return (
    spec.source.postgres !== undefined ||
    spec.encryption !== undefined ||
    spec.privacy?.saltSecret !== undefined ||
    spec.transforms.some((t) => t.type === "hashPII") ||
    (s3 && storageNeedsVault(spec.storage))
  );
}

/** The admin's egress allow-list; a malformed one fails the run with the entry it cannot read. */
function allowList(env: NodeJS.ProcessEnv) {
  try {
    return egressPolicy(env);
  } catch (err) {
    if (err instanceof EgressError) throw new PrepareError(PrepareReason.EgressRefused, err.message);
    throw err;
  }
}

function memoryLimit(env: NodeJS.ProcessEnv): string {
  const bytes = Number(env.LIFTOFF_MEMORY_LIMIT);
  if (!Number.isFinite(bytes) || bytes <= 0) return "1GB";
  return `${Math.max(128, Math.floor((bytes * 0.6) / 2 ** 20))}MB`;
}

function threads(env: NodeJS.ProcessEnv): number {
  const cpu = Number(env.LIFTOFF_CPU_LIMIT);
  return Number.isFinite(cpu) && cpu > 0 ? Math.max(1, Math.ceil(cpu)) : Math.min(4, availableParallelism());
}

/** The DataSet's key store: the pod's Vault session and LIFTOFF_DATASET (the operator sets it); else undefined. */
function keyStoreOf(vault: VaultKvClient | undefined, env: NodeJS.ProcessEnv): KeyStore | undefined {
  const owner = parseOwner(env[POD_ENV.dataSet.name]);
  return vault && owner ? { vault, owner } : undefined;
}

/** What a --delete or --prune run reports: the versions it saw, for status.versions. */
const versionsReport = (versions: VersionRecord[]) => ({
  versions,
  deleted: versions.filter((v) => v.state === "Shredded").length,
});

/** LIFTOFF_KEEP_VERSIONS: the version folders in use, which pruning keeps (the operator's in-use protection). */
function keepVersions(env: NodeJS.ProcessEnv): string[] {
  return (env.LIFTOFF_KEEP_VERSIONS ?? "").split(",").filter((v) => /^[0-9a-f]{64}$/.test(v));
}

/** source.captured's reader, from LIFTOFF_CAPTURED_SOURCE (the operator's resolution of the ModelDeployment). */
function capturedFrom(
  spec: CapturedSpec,
  env: NodeJS.ProcessEnv,
  inRoot: (p: string) => string,
  unwrap: CapturedContext["unwrap"],
  s3: CapturedContext["s3"],
): (scratch: string) => Promise<LoadedCaptured> {
  return async (scratch) => {
    const raw = env[POD_ENV.capturedSource.name];
    let resolved: CapturedSourceEnv;
    try {
      resolved = JSON.parse(raw ?? "") as CapturedSourceEnv;
      if (typeof resolved?.root !== "string" || typeof resolved.uri !== "string") throw new Error("no root or uri");
    } catch {
      throw new PrepareError(
        PrepareReason.InvalidSpec,
        `source.captured needs ${POD_ENV.capturedSource.name} (JSON: modelDeployment, uri, root), set by the operator; a local run sets it by hand`,
      );
    }
    resolved = { ...resolved, root: isS3Uri(resolved.root) ? resolved.root : inRoot(resolved.root) };
    return loadCaptured(spec, { resolved, unwrap, s3 }, scratch);
  };
}

export async function prepareMain(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        spec: { type: "string" },
        out: { type: "string" },
        "source-root": { type: "string" },
        scratch: { type: "string" },
        delete: { type: "boolean" },
        prune: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`prepare: ${(err as Error).message}\n${PREPARE_HELP}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${PREPARE_HELP}\n`);
    return 0;
  }
  const inRoot = (p: string) =>
    env.LIFTOFF_PATH_PREFIX && p.startsWith("/") ? path.join(env.LIFTOFF_PATH_PREFIX, p) : p;
  const out = (values.out as string | undefined) ?? env.LIFTOFF_PREPARE_OUT;
  if (!out) {
    process.stderr.write(`prepare: --out is required\n${PREPARE_HELP}\n`);
    return 2;
  }
  const reporter = reporterFromEnv(env);
  const log = (msg: string) => process.stderr.write(`prepare: ${msg}\n`);
  const finish = async (update: ReportUpdate) => {
    if (reporter) await reporter.report(update);
  };
  let vault: VaultKvClient | undefined;
  try {
    if (values.delete || values.prune) {
      // Shredding needs the pod's Vault session (the keys are destroyed before the files): it logs in at the first
      // version that names a key, so an unencrypted DataSet's delete needs no Vault at all.
      const owner = parseOwner(env[POD_ENV.dataSet.name]);
      const shred: Shred | undefined =
        env.LIFTOFF_VAULT_ADDR && owner
          ? async (enc, version) => {
              vault ??= await secretsFromEnv(env);
              return shredWith({ vault: vault as VaultKvClient, owner })(enc, version);
            }
          : undefined;
      if (isS3Uri(out)) vault = await secretsFromEnv(env); // the bucket's keys may be in Vault
      let versions: VersionRecord[];
      if (values.delete) {
        versions = isS3Uri(out)
          ? await (async () => {
              const { store, key } = await openS3(out, env, vault);
              return removeAllS3Versions(store, key, shred);
            })()
          : await removeAllVersions(inRoot(out), shred);
      } else {
        const spec = specWithDefaults(JSON.parse(env.LIFTOFF_DATASET_SPEC ?? "null"));
        const o = { policy: retentionPolicy(spec), keep: keepVersions(env), shred };
        versions = isS3Uri(out)
          ? await (async () => {
              const { store, key } = await openS3(out, env, vault);
              return pruneS3Versions(store, key, o);
            })()
          : await pruneVersions(inRoot(out), o);
      }
      const report = versionsReport(versions);
      log(`shredded ${report.deleted} version(s) under ${out}`);
      await finish({ phase: "succeeded", data: report });
      return 0;
    }
    const spec: PrepareSpec = values.spec
      ? loadSpecFile(values.spec as string)
      : specWithDefaults(JSON.parse(env.LIFTOFF_DATASET_SPEC ?? "null"));
    const egress = allowList(env);
    // A spec that needs Vault only for captured traffic logs in when a version is encrypted (or the capture's S3
    // keys are in Vault): an unencrypted capture needs no Vault role. Any other need logs in at once, as before.
    const lazy = spec.source.captured !== undefined && !needsVault(spec);
    vault = lazy ? undefined : await secretsFromEnv(env);
    const secrets: PrepareSecrets | undefined = vault;
    const login = async () => {
      vault ??= await secretsFromEnv(env);
      return vault;
    };
    const unwrap = env.LIFTOFF_VAULT_ADDR
      ? async (key: string, wrapped: string) => {
          const v = (await login().catch((err: unknown) => Promise.reject(vaultError(err)))) as VaultKvClient;
          return v.unwrapDataKey(key, wrapped);
        }
      : undefined;
    const s3KeysInVault = Boolean(env[POD_ENV.s3VaultKvPath.name] || env[POD_ENV.s3VaultAwsPath.name]);
    const scratch = inRoot(
      (values.scratch as string | undefined) ??
        env.LIFTOFF_SCRATCH ??
        path.join(tmpdir(), `liftoff-prepare-${process.pid}`),
    );
    const s3 = async (uri: string) => openS3(uri, env, lazy && s3KeysInVault ? await login() : vault);
    // An s3:// output: the version is published in scratch, then uploaded (s3-output.ts).
    const s3Out = isS3Uri(out) ? await s3(out) : undefined;
    if (s3Out) {
      const removed = await cleanCrashedWrites(s3Out.store, s3Out.key);
      if (removed > 0) log(`removed ${removed} object(s) a crashed run left under ${out}`);
    }
    const result: PrepareResult = await runPrepare({
      spec,
      out: s3Out ? path.join(scratch, "out") : inRoot(out),
      scratch,
      source: openSource(spec, {
        sourceRoot: inRoot((values["source-root"] as string | undefined) ?? env.LIFTOFF_SOURCE_ROOT ?? "."),
        ...(secrets ? { secrets } : {}),
        http: { egress },
        s3,
      }),
      ...(spec.source.captured ? { captured: capturedFrom(spec.source.captured, env, inRoot, unwrap, s3) } : {}),
      ...(secrets ? { secrets } : {}),
      keyStore: keyStoreOf(vault, env),
      threads: threads(env),
      memoryLimit: memoryLimit(env),
      keepVersions: keepVersions(env),
      progress: log,
    }).catch((err: unknown) => {
      throw vaultError(err);
    });
    if (s3Out) {
      const store = keyStoreOf(vault, env);
      const up = await publishToS3(s3Out.store, s3Out.key, result.dir, {
        policy: retentionPolicy(spec),
        keep: keepVersions(env),
        shred: store ? shredWith(store) : undefined,
      });
      const pruned = up.versions.filter((v) => v.state === "Shredded").length;
      log(`uploaded ${up.uri}${pruned > 0 ? `, shredded ${pruned} older version(s)` : ""}`);
      result.dir = up.uri;
      result.versions = up.versions;
    }
    const r = result.rows;
    log(`rows read ${r.read}, kept ${r.total} (train ${r.train}, validation ${r.validation}, test ${r.test})`);
    process.stdout.write(`${JSON.stringify({ digest: result.digest, dir: result.dir, rows: r })}\n`);
    await finish({ phase: "succeeded", data: statusSummary(result) });
    return 0;
  } catch (err) {
    if (err instanceof ReportError) {
      // The operator's report endpoint is unreachable or refused us: one line, and a retry (the Job's back-off).
      log(`cannot report to the operator: ${err.message}`);
      return 1;
    }
    // A full disk anywhere (DuckDB's spill, the output) is said as such, not as an internal error.
    const failure = err instanceof PrepareError ? err : (storageFailure(err) ?? noSpaceError(err, "preparing") ?? err);
    if (!(failure instanceof PrepareError)) {
      log(`internal error: ${(failure as Error).stack ?? failure}`);
      await finish({
        phase: "failed",
        reason: "InternalError",
        message: (failure as Error).message.slice(0, 1000),
      }).catch(() => undefined);
      return 1;
    }
    log(`${failure.reason}: ${failure.message}`);
    await finish({ phase: "failed", reason: failure.reason, message: failure.message }).catch((e: Error) =>
      log(`could not report the failure: ${e.message}`),
    );
    return PREPARE_RETRIED_REASONS.has(failure.reason) ? 1 : EXIT_PERMANENT;
  } finally {
    vault?.close();
  }
}
