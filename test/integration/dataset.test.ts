// DataSets through the operator on the local cluster: the real prepare runtime runs in a Job, reports back over the
// HTTPS report channel (TokenReview, pod → Job → DataSet), and the status, the files on the claim and the cleanup on
// deletion are checked. One pvc and one http run of the same data must give the same digest.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { BatchV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import type { OperatorHandle } from "../../operator/src/operator.js";
import {
  condition,
  createDataSet,
  deleteDataSet,
  getDataSet,
  PENGUINS_CSV,
  PENGUINS_SCHEMA,
  PENGUINS_TRANSFORMS,
  waitSettled,
} from "../support/dataset.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import { forbiddenRequests, operatorFixture, startTestOperator } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";
import { podHostAddress, reportFlags } from "../support/report.js";

const admin = kubeConfig(inject("kubeconfig"));
const fx = operatorFixture(admin, "dataset", { start: false });
let op: OperatorHandle;
let folder: string;
let http: Server;
let httpUrl: string;

beforeAll(async () => {
  const flags = await reportFlags(inject("clusterName"));
  // The http source below is served from the host as pods reach it: a private or loopback address, which the egress
  // policy refuses unless the operator's allow-list opens it (as an admin would for an in-cluster store).
  const host = await podHostAddress(inject("clusterName"));
  op = await startTestOperator(
    fx.operatorKc,
    [fx.ns.name],
    ["--leader-elect=false", ...flags, `--egress-allow=${host}`],
  );
  await op.leading;
  folder = await claimHostFolder(admin, fx.ns.name, "data");
  mkdirSync(join(folder, "raw"), { recursive: true });
  writeFileSync(join(folder, "raw/penguins.csv"), PENGUINS_CSV);
  http = createServer((req, res) => {
    if (req.url === "/penguins.csv") res.writeHead(200, { "content-type": "text/csv" }).end(PENGUINS_CSV);
    else res.writeHead(404).end("not found");
  });
  await new Promise<void>((r) => http.listen(0, host, r));
  const address = http.address();
  httpUrl = `http://${host}:${typeof address === "object" && address ? address.port : 0}`;
}, 120_000);

afterAll(async () => {
  await op?.stop();
  http?.close();
});

const penguins = (source: Obj, path: string) => ({
  source,
  schema: PENGUINS_SCHEMA,
  transforms: PENGUINS_TRANSFORMS,
  output: { claimName: "data", path },
  resources: { cpu: "1", memory: "512Mi" },
});

describe("DataSet through the operator", () => {
  it("prepares penguins from a pvc and from http to the same digest, with status and files", {
    timeout: 180_000,
  }, async () => {
    const ns = fx.ns.name;
    await createDataSet(
      admin,
      ns,
      "penguins",
      penguins({ pvc: { claimName: "data", path: "raw/penguins.csv" } }, "out/pvc"),
    );
    await createDataSet(admin, ns, "penguins-http", penguins({ http: { url: `${httpUrl}/penguins.csv` } }, "out/http"));
    const ds = await waitSettled(admin, ns, "penguins");
    expect(condition(ds, "Ready"), JSON.stringify(ds.status?.conditions)).toMatchObject({
      status: "True",
      reason: "Prepared",
    });
    expect(condition(ds, "Failed")?.status).toBe("False");
    // pandas: read_csv → dropna() keeps 333 of 344 rows.
    expect(ds.status.rows).toMatchObject({ read: 344, dropped: 11, total: 333 });
    expect(ds.status.rows.train + ds.status.rows.validation + ds.status.rows.test).toBe(333);
    expect(ds.status.task).toBe("multiclass");
    expect(ds.status.columns.map((c: Obj) => c.name)).toEqual(
      PENGUINS_SCHEMA.columns.map((c) => c.name).filter((n) => n !== "year"),
    );
    const hex = ds.status.digest.slice(7);
    expect(ds.status.version).toBe(hex.slice(0, 12));
    expect(ds.status.output).toBe(`pvc://data/out/pvc/${hex}`);
    const manifest = readFileSync(join(folder, "out/pvc", hex, "manifest.json"));
    expect(createHash("sha256").update(manifest).digest("hex")).toBe(hex);
    expect(readdirSync(join(folder, "out/pvc"))).toEqual([hex]);

    const viaHttp = await waitSettled(admin, ns, "penguins-http");
    expect(condition(viaHttp, "Ready")?.status, JSON.stringify(viaHttp.status?.conditions)).toBe("True");
    expect(viaHttp.status.digest).toBe(ds.status.digest);
    expect(await forbiddenRequests(op)).toEqual([]);
  });

  it("fails bad data at once with the reason and a message naming the column and rows", {
    timeout: 120_000,
  }, async () => {
    const ns = fx.ns.name;
    const bad = PENGUINS_CSV.replace("Adelie,Torgersen,39.1,", "Adelie,Torgersen,long,");
    await createDataSet(admin, ns, "bad", penguins({ inline: { data: bad } }, "out/bad"));
    const ds = await waitSettled(admin, ns, "bad");
    expect(condition(ds, "Failed")).toMatchObject({ status: "True", reason: "SchemaMismatch" });
    expect(condition(ds, "Failed")?.message).toMatch(
      /column "bill_length_mm" should be number .* row 1 \(line 2\): "long"/,
    );
    expect(condition(ds, "Ready")?.status).toBe("False");
    const jobs = await admin
      .makeApiClient(BatchV1Api)
      .listNamespacedJob({ namespace: ns, labelSelector: "liftoff.dev/dataset=bad" });
    expect(jobs.items[0]?.status?.failed ?? 0).toBeLessThanOrEqual(1); // podFailurePolicy: no retries of bad data
    expect(existsSync(join(folder, "out/bad")) ? readdirSync(join(folder, "out/bad")) : []).toEqual([]);
  });

  it("finding: an http source on the cloud metadata address fails with EgressRefused (the allow-list opens only what it lists)", {
    timeout: 120_000,
  }, async () => {
    const ns = fx.ns.name;
    const url = "http://169.254.169.254/latest/meta-data/iam/security-credentials/";
    await createDataSet(admin, ns, "metadata", penguins({ http: { url } }, "out/metadata"));
    const ds = await waitSettled(admin, ns, "metadata");
    expect(condition(ds, "Failed"), JSON.stringify(ds.status?.conditions)).toMatchObject({
      status: "True",
      reason: "EgressRefused",
    });
    expect(condition(ds, "Failed")?.message).toMatch(
      /connecting to 169\.254\.169\.254 is refused: it is a cloud metadata address; .*--egress-allow \/ chart egress\.allow/,
    );
    const jobs = await admin
      .makeApiClient(BatchV1Api)
      .listNamespacedJob({ namespace: ns, labelSelector: "liftoff.dev/dataset=metadata" });
    expect(jobs.items[0]?.status?.failed ?? 0).toBeLessThanOrEqual(1); // a refusal is not retried
  });

  it("removes its versions when deleted (finalizer + cleanup Job)", { timeout: 120_000 }, async () => {
    const ns = fx.ns.name;
    const ds = await getDataSet(admin, ns, "penguins");
    expect(ds?.metadata.finalizers).toContain("liftoff.dev/dataset-versions");
    await deleteDataSet(admin, ns, "penguins");
    await pollUntil("DataSet penguins gone", async () => (await getDataSet(admin, ns, "penguins")) === undefined, {
      timeoutMs: 90_000,
      intervalMs: 250,
    });
    expect(readdirSync(join(folder, "out/pvc"))).toEqual([]);
    expect(readdirSync(join(folder, "out/http"))).toHaveLength(1); // the other DataSet's version is untouched
  });
});
