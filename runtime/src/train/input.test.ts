// train on an encrypted DataSet: the real `prepare` encrypts the penguins data (with an in-memory stand-in for Vault
// transit), `train` unwraps the key, checks every file against the manifest, trains on the decrypted copy in a
// memory folder and removes it; tampering, a refused key and an unreachable Vault each give their own reason.
import { randomBytes } from "node:crypto";
import { cp, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  PENGUINS_CSV,
  PENGUINS_SCHEMA,
  PENGUINS_TRANSFORMS,
  penguinsTrainingJob,
} from "../../../test/support/dataset.js";
import { fakeVault } from "../../../test/support/fake-vault.js";
import { prepareInline, tmp } from "../../../test/support/prepare.js";
import { shredVersionKey } from "../crypto/version-keys.js";
import type { PrepareResult } from "../prepare/pipeline.js";
import { VaultError } from "../vault/errors.js";
import { parseTrainArgs, runTrain } from "./command.js";
import { InputFailure, type KeyUnwrapper, openDataSetInput } from "./input.js";

/** Vault as far as prepare and train use it: transit data keys and the DataSet's key store in KV. */
const transit = fakeVault();
const owner = { namespace: "team-a", dataset: "penguins" };
const unwrapper =
  (unwrapDataKey: KeyUnwrapper["unwrapDataKey"] = transit.unwrapDataKey) =>
  async (): Promise<KeyUnwrapper> => ({
    readKvData: transit.readKvData,
    unwrapDataKey,
    close: () => undefined,
  });
const refusing = (reason: "VaultPermissionDenied" | "VaultUnreachable") =>
  unwrapper(async () => {
    throw new VaultError(reason, `${reason}: unwrapping a data key with Vault path "transit/decrypt/k" failed`);
  });

let encrypted: PrepareResult;
const root = tmp();

beforeAll(async () => {
  ({ result: encrypted } = await prepareInline(
    PENGUINS_CSV,
    { schema: PENGUINS_SCHEMA, transforms: PENGUINS_TRANSFORMS, encryption: { transitKey: "penguins" } },
    { secrets: transit, keyStore: { vault: transit, owner } },
  ));
}, 60_000);

/** A copy of the encrypted version that a test may damage. */
async function copyOfVersion(): Promise<string> {
  const dir = path.join(tmp(), path.basename(encrypted.dir));
  await cp(encrypted.dir, dir, { recursive: true });
  return dir;
}

async function failureOf(p: Promise<unknown>): Promise<InputFailure> {
  try {
    await p;
  } catch (err) {
    if (err instanceof InputFailure) return err;
    throw err;
  }
  throw new Error("expected an InputFailure");
}

describe("train on an encrypted DataSet", { timeout: 60_000 }, () => {
  it("unwraps the key, trains on the decrypted copy in the memory folder, and removes the copy", async () => {
    // As in the pod: the TrainingJob (its namespace and dataSetRef name the key store) arrives in LIFTOFF_TRAIN_SPEC.
    const job = penguinsTrainingJob(15) as { metadata: Record<string, unknown> };
    const env = { LIFTOFF_TRAIN_SPEC: JSON.stringify({ ...job, metadata: { ...job.metadata, namespace: "team-a" } }) };
    const plainDir = path.join(root, "memory");
    const args = await parseTrainArgs(
      ["--data", encrypted.dir, "--data-digest", encrypted.digest, "--out", path.join(root, "models")],
      env,
    );
    const logs: string[] = [];
    const out = await runTrain(
      { ...args, plainDir },
      {},
      {
        log: (m) => logs.push(m),
        progress: () => undefined,
        vault: unwrapper(),
      },
    );
    expect(out.dataSetDigest).toBe(encrypted.digest);
    expect(out.finalMetrics.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(logs.some((l) => /^decrypted 5 files of the DataSet \(transit key penguins\) into memory$/.test(l))).toBe(
      true,
    );
    // Serving reads the artifact without a data key: it carries the decrypted preprocessing.json and stats.json.
    const served = JSON.parse(await readFile(path.join(out.model.dir, "preprocessing.json"), "utf8"));
    expect(served).toEqual(encrypted.preprocessing);
    expect(await readdir(plainDir)).toEqual([]);
  });

  it("refuses a file that does not match the manifest, and a key that does not open the files", async () => {
    const tampered = await copyOfVersion();
    const file = path.join(tampered, "train/part-00000.parquet.enc");
    const bytes = await readFile(file);
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 1;
    await writeFile(file, bytes);
    const plainDir = path.join(root, "memory-tampered");
    const bad = await failureOf(
      openDataSetInput({ data: tampered, plainDir, owner, vault: unwrapper(), log: () => {} }),
    );
    expect(bad.reason).toBe("DataSetCorrupt");
    expect(bad.message).toMatch(/^the DataSet file train\/part-00000\.parquet\.enc fails authentication/);
    expect(bad.retryable).toBe(false);
    expect(await readdir(plainDir)).toEqual([]);

    const wrongKey = unwrapper(async () => randomBytes(32));
    const wrong = await failureOf(
      openDataSetInput({ data: encrypted.dir, plainDir, owner, vault: wrongKey, log: () => {} }),
    );
    expect(wrong.reason).toBe("DataSetCorrupt");
  });

  it("names Vault's refusal (not retried) and an unreachable Vault (retried)", async () => {
    const plainDir = path.join(root, "memory-vault");
    const o = { data: encrypted.dir, plainDir, owner, log: () => {} };
    const denied = await failureOf(openDataSetInput({ ...o, vault: refusing("VaultPermissionDenied") }));
    expect(denied).toMatchObject({ reason: "VaultPermissionDenied", retryable: false });
    expect(denied.message).toMatch(/^cannot unwrap the encrypted DataSet's data key \(transit key penguins\): /);
    const down = await failureOf(openDataSetInput({ ...o, vault: refusing("VaultUnreachable") }));
    expect(down).toMatchObject({ reason: "VaultUnreachable", retryable: true });
    expect(await readdir(plainDir)).toEqual([]);
  });

  it("fails DataKeyShredded (not retried) once the version's key is shredded from the store", async () => {
    const copy = await copyOfVersion();
    const plainDir = path.join(root, "memory-shredded");
    const o = { data: copy, plainDir, owner, vault: unwrapper(), log: () => {} };
    const before = await openDataSetInput(o);
    await before.dispose();
    const keyId = JSON.parse(await readFile(path.join(copy, "manifest.json"), "utf8")).encryption.keyId as string;
    await shredVersionKey(transit, { ...owner, keyId });
    const after = await failureOf(openDataSetInput(o));
    expect(after).toMatchObject({ reason: "DataKeyShredded", retryable: false });
    expect(after.message).toContain(`the data key ${keyId} of DataSet team-a/penguins is not in Vault`);
    expect(await readdir(plainDir)).toEqual([]);
  });

  it("checks a plaintext version's files against the manifest too, and the pinned digest", async () => {
    const { result } = await prepareInline(PENGUINS_CSV, { schema: PENGUINS_SCHEMA, transforms: PENGUINS_TRANSFORMS });
    const vault = () => Promise.reject(new Error("no Vault for a plaintext version"));
    const ok = await openDataSetInput({ data: result.dir, dataDigest: result.digest, vault, log: () => {} });
    expect(ok).toMatchObject({ dir: result.dir, encrypted: false, digest: result.digest });
    const pinned = await failureOf(
      openDataSetInput({ data: result.dir, dataDigest: `sha256:${"0".repeat(64)}`, vault, log: () => {} }),
    );
    expect(pinned.reason).toBe("DataSetChanged");
    await writeFile(path.join(result.dir, "stats.json"), "{}\n");
    const bad = await failureOf(openDataSetInput({ data: result.dir, vault, log: () => {} }));
    expect(bad.reason).toBe("DataSetCorrupt");
    expect(bad.message).toMatch(/^the DataSet file stats\.json does not match the sha256 in manifest\.json/);
  });

  it("finding: train --data accepts prepare's --out folder (its newest version) and says what to pass otherwise", async () => {
    const { result, out } = await prepareInline(PENGUINS_CSV, {
      schema: PENGUINS_SCHEMA,
      transforms: PENGUINS_TRANSFORMS,
    });
    const vault = () => Promise.reject(new Error("no Vault for a plaintext version"));
    const logged: string[] = [];
    const ok = await openDataSetInput({ data: out, vault, log: (m) => logged.push(m) });
    expect(ok).toMatchObject({ dir: result.dir, encrypted: false, digest: result.digest });
    expect(logged.join("\n")).toContain(result.dir);
    const empty = await failureOf(openDataSetInput({ data: tmp(), vault, log: () => {} }));
    expect(empty.reason).toBe("DataSetChanged");
    expect(empty.message).toMatch(/pass prepare's --out folder or one of its <digest>\/ version folders/);
  });
});
