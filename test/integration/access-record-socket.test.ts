// The access record's socket source (production's choice: Vault sends each audit entry over TCP) with a real
// OpenBao: a `bao server -dev` of this test's own, whose declared socket audit device connects to the operator's
// --vault-audit-listen, and a read of a DataSet version's key on it shows in the DataSet's status.access.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BIN_DIR } from "../../devcluster/cluster/binaries.js";
import { clusterConfig } from "../../devcluster/cluster/config.js";
import { portIsFree } from "../../devcluster/cluster/ports.js";
import type { OperatorHandle } from "../../operator/src/operator.js";
import { createDataSet, getDataSet, PENGUINS_SCHEMA } from "../support/dataset.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import { operatorFixture, startTestOperator } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";

const admin = kubeConfig(inject("kubeconfig"));
const fx = operatorFixture(admin, "access-socket", { start: false });
const KEY = "5f0c9a1e2b3d4c5e6f708192a3b4c5d6";
const TOKEN = randomBytes(16).toString("hex");
let op: OperatorHandle | undefined;
let bao: ChildProcess | undefined;
let dir: string;
let api: string;
let ns: string;

/** A call on the dev server as root, naming the pod as a Liftoff pod does. */
async function call(method: string, path: string, body?: unknown, pod?: string): Promise<Response> {
  return fetch(`${api}/v1/${path}`, {
    method,
    headers: {
      "X-Vault-Token": TOKEN,
      ...(pod ? { "X-Liftoff-Pod": pod } : {}),
      ...(body ? { "content-type": "application/json" } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

beforeAll(async () => {
  ns = fx.ns.name;
  const base = clusterConfig(inject("clusterName")).ports.etcdClient;
  const listen = base + 36;
  const apiPort = base + 33; // and its cluster port, +34
  api = `http://127.0.0.1:${apiPort}`;
  await createDataSet(admin, ns, "penguins", {
    source: { pvc: { claimName: "raw", path: "penguins.csv" } },
    format: "csv",
    schema: PENGUINS_SCHEMA,
    output: { claimName: "data", path: "penguins" },
  });
  op = await startTestOperator(
    fx.operatorKc,
    [ns],
    ["--leader-elect=false", `--vault-audit-listen=127.0.0.1:${listen}`],
  );
  await op.leading;
  // OpenBao will not start while a declared socket device cannot connect: the operator listens first.
  await pollUntil("the operator listens for the audit socket", async () => !(await portIsFree(listen)));
  dir = mkdtempSync(join(tmpdir(), "liftoff-bao-socket-"));
  const hcl = join(dir, "audit.hcl");
  writeFileSync(
    hcl,
    `audit "socket" "liftoff-access" {\n  options {\n    address     = "127.0.0.1:${listen}"\n    socket_type = "tcp"\n  }\n}\n`,
  );
  bao = spawn(
    join(BIN_DIR, "bao"),
    ["server", "-dev", `-dev-root-token-id=${TOKEN}`, `-dev-listen-address=127.0.0.1:${apiPort}`, `-config=${hcl}`],
    { detached: true, stdio: "ignore", env: { ...process.env, BAO_ADDR: "", VAULT_ADDR: "", BAO_TOKEN: "" } },
  );
  await pollUntil("the dev server answers", async () => (await fetch(`${api}/v1/sys/health`)).status === 200, {
    timeoutMs: 30_000,
  });
  expect((await call("POST", "sys/config/auditing/request-headers/x-liftoff-pod", { hmac: false })).status).toBe(204);
  const put = await call("POST", `secret/data/${ns}/liftoff-datakeys/penguins/${KEY}`, { data: { wrappedKey: "w" } });
  expect(put.status).toBe(200);
}, 120_000);

afterAll(async () => {
  if (bao?.pid !== undefined && bao.exitCode === null) {
    const exited = new Promise((r) => bao?.once("exit", r));
    process.kill(-bao.pid, "SIGTERM");
    await exited;
  }
  await op?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("access record from a socket audit device", () => {
  it("shows a read of a version's key that OpenBao sent over TCP", { timeout: 60_000 }, async () => {
    const read = await call("GET", `secret/data/${ns}/liftoff-datakeys/penguins/${KEY}`, undefined, "socket-reader-1");
    expect(read.status).toBe(200);
    const entry = await pollUntil("status.access names the read", async () => {
      const access = (await getDataSet(admin, ns, "penguins"))?.status?.access as Obj[] | undefined;
      const a = access?.find((x) => x.keyId === KEY);
      return a?.reads === 1 ? a : undefined;
    });
    // A root token has no service account: Vault's display name stands for the identity.
    expect(entry.readers).toEqual([
      { identity: expect.any(String), pod: "socket-reader-1", reads: 1, lastRead: entry.lastRead },
    ]);
    expect(entry.readers[0].serviceAccount).toBeUndefined();
  });
});
