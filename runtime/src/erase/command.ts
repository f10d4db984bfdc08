// `liftoff-runtime erase`: erases an ErasureRequest's subjects from a DataSet's versions (rewrite.ts) under the
// DataSet's own Vault identity, and reports the record over the result-reporting channel. The subjects' keys are
// read from Vault and only their HMACs leave this process's memory; nothing here logs or reports a key. Exit codes as
// prepare's: 0 done, 3 a failure retrying cannot fix, 1 one that may pass on retry, 2 bad flags.
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { PREPARE_RETRIED_REASONS } from "../contract/dataset.js";
import type { ErasureEnv } from "../contract/erasure.js";
import { POD_ENV } from "../contract/pod-env.js";
import type { ReportUpdate } from "../contract/report.js";
import { parseOwner } from "../crypto/version-keys.js";
import { noSpaceError, PrepareError, PrepareReason, type PrepareReasonName } from "../prepare/errors.js";
import { planOf } from "../prepare/plan.js";
import { type PrepareSpec, specWithDefaults } from "../prepare/spec.js";
import { subjectHash, subjectSaltRef } from "../prepare/subjects.js";
import { ReportError, reporterFromEnv } from "../report/reporter.js";
import { isS3Uri } from "../s3-uri.js";
import { type VaultKvClient, vaultClientFromEnv } from "../vault/index.js";
import { eraseSubjects } from "./rewrite.js";

const EXIT_PERMANENT = 3;

export const ERASE_HELP = `usage: liftoff-runtime erase --out <dir> [--scratch <dir>]

Erases an ErasureRequest's subjects from every version of a DataSet under --out: each version's subject index
(subjects.parquet) is looked up with the HMACs of the subjects' keys; a version holding any of their rows is
published again without them and the old version is shredded.

  --out <dir>        the DataSet's output folder (its <digest>/ versions)
  --scratch <dir>    private working space (LIFTOFF_SCRATCH, default the system temp folder)

LIFTOFF_DATASET_SPEC: the DataSet's spec (JSON); LIFTOFF_ERASURE: {"request", "subjects": {"path", "key"}}, the
Vault KV v2 secret whose key holds the subjects' keys, one per line. Vault: LIFTOFF_VAULT_ADDR, _ROLE, ….`;

const invalid = (message: string) => new PrepareError(PrepareReason.InvalidSpec, message);

function erasureEnv(env: NodeJS.ProcessEnv): ErasureEnv {
  const raw = env[POD_ENV.erasure.name];
  try {
    const e = JSON.parse(raw ?? "") as ErasureEnv;
    if (typeof e?.request === "string" && typeof e.subjects?.path === "string" && typeof e.subjects.key === "string") {
      return e;
    }
  } catch {
    // said below
  }
  throw invalid(`${POD_ENV.erasure.name} must hold {"request", "subjects": {"path", "key"}} (the operator sets it)`);
}

/** The subjects' keys: the secret's value, one per line (blank lines and surrounding spaces ignored). */
export function subjectKeys(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l.length > 0),
    ),
  ];
}

function vaultError(err: unknown): Error {
  const reason = (err as { reason?: string }).reason;
  if (reason && reason in PrepareReason) return new PrepareError(reason as PrepareReasonName, (err as Error).message);
  return err as Error;
}

export async function eraseMain(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: { out: { type: "string" }, scratch: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`erase: ${(err as Error).message}\n${ERASE_HELP}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${ERASE_HELP}\n`);
    return 0;
  }
  const out = values.out as string | undefined;
  if (!out) {
    process.stderr.write(`erase: --out is required\n${ERASE_HELP}\n`);
    return 2;
  }
  const inRoot = (p: string) =>
    env.LIFTOFF_PATH_PREFIX && p.startsWith("/") ? path.join(env.LIFTOFF_PATH_PREFIX, p) : p;
  const reporter = reporterFromEnv(env);
  const log = (msg: string) => process.stderr.write(`erase: ${msg}\n`);
  let vault: VaultKvClient | undefined;
  try {
    const request = erasureEnv(env);
    const spec: PrepareSpec = specWithDefaults(JSON.parse(env[POD_ENV.dataSetSpec.name] ?? "null"));
    if (!spec.privacy)
      throw invalid("the DataSet has no spec.privacy.subjectKey, so its versions have no subject index");
    if (isS3Uri(out))
      throw invalid("erasure rewrites versions on a claim (output.claimName); an s3:// output is not supported yet");
    const saltRef = subjectSaltRef(planOf(spec), spec);
    if (!env.LIFTOFF_VAULT_ADDR)
      throw new PrepareError(
        PrepareReason.VaultUnreachable,
        "erase reads the subjects from Vault; set LIFTOFF_VAULT_ADDR",
      );
    const v: VaultKvClient = await vaultClientFromEnv(env).catch((err: unknown) => Promise.reject(vaultError(err)));
    vault = v;
    const keys = subjectKeys(
      await v
        .readKv(request.subjects.path, request.subjects.key)
        .catch((err: unknown) => Promise.reject(vaultError(err))),
    );
    if (keys.length === 0) {
      throw invalid(
        `the Vault secret ${request.subjects.path} (key ${request.subjects.key}) holds no subject key; write one per line`,
      );
    }
    const salt = Buffer.from(
      await v.readKv(saltRef.path, saltRef.key).catch((err: unknown) => Promise.reject(vaultError(err))),
      "utf8",
    );
    const hashes = keys.map((k) => subjectHash(k, salt));
    log(`${keys.length} subject(s) to erase from ${out} (request ${request.request})`);
    const cpu = Number(env.LIFTOFF_CPU_LIMIT);
    const memory = Number(env.LIFTOFF_MEMORY_LIMIT);
    const outcome = await eraseSubjects({
      out: inRoot(out),
      scratch: inRoot(
        (values.scratch as string | undefined) ??
          env.LIFTOFF_SCRATCH ??
          path.join(tmpdir(), `liftoff-erase-${process.pid}`),
      ),
      request: request.request,
      hashes,
      // The key column's histogram holds the HMACs when it is hashed, the keys themselves when it is not.
      histogramKeys: new Set([...hashes, ...keys]),
      subjectKey: spec.privacy.subjectKey,
      secrets: v,
      owner: parseOwner(env[POD_ENV.dataSet.name]),
      threads: Number.isFinite(cpu) && cpu > 0 ? Math.max(1, Math.ceil(cpu)) : Math.min(4, availableParallelism()),
      memoryLimit:
        Number.isFinite(memory) && memory > 0 ? `${Math.max(128, Math.floor((memory * 0.6) / 2 ** 20))}MB` : "1GB",
      log,
    }).catch((err: unknown) => Promise.reject(vaultError(err)));
    keys.length = 0;
    const rows = outcome.found.reduce((a, f) => a + f.rows, 0);
    log(
      `found ${rows} row(s) in ${outcome.found.length} version(s), rewrote ${outcome.rewritten.length}, shredded ${outcome.shredded.length}, ${outcome.notIndexed.length} without an index`,
    );
    if (reporter) await reporter.report({ phase: "succeeded", data: outcome as unknown as Record<string, unknown> });
    return 0;
  } catch (err) {
    if (err instanceof ReportError) {
      log(`cannot report to the operator: ${err.message}`);
      return 1;
    }
    const failure = err instanceof PrepareError ? err : (noSpaceError(err, "erasing") ?? err);
    const update: ReportUpdate =
      failure instanceof PrepareError
        ? { phase: "failed", reason: failure.reason, message: failure.message }
        : { phase: "failed", reason: "InternalError", message: (failure as Error).message.slice(0, 1000) };
    log(
      failure instanceof PrepareError
        ? `${failure.reason}: ${failure.message}`
        : `internal error: ${(failure as Error).stack ?? failure}`,
    );
    await reporter?.report(update).catch((e: Error) => log(`could not report the failure: ${e.message}`));
    if (!(failure instanceof PrepareError)) return 1;
    return PREPARE_RETRIED_REASONS.has(failure.reason) ? 1 : EXIT_PERMANENT;
  } finally {
    vault?.close();
  }
}
