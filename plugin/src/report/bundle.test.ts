import { strFromU8, unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { buildBundle, zipBundle } from "./bundle.js";
import type { Collected } from "./collect.js";
import { defaultReportName, formatSize, parseTail } from "./options.js";

const KEY = "lk_live_0123456789abcdef";
const EMAIL = "ada.lovelace@example.org";
const SECRET = "db-pass-98765";

function collected(): Collected {
  const mdep = {
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "ModelDeployment",
    metadata: { name: "penguins", namespace: "demo", uid: "m1" },
    spec: { auth: { apiKeys: { path: "secret/data/demo/api", key: "keys" } } },
    status: { conditions: [{ type: "Ready", status: "True", reason: "Serving", message: "1/1 ready" }] },
  };
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "penguins-abc", namespace: "demo", uid: "p1" },
    spec: { containers: [{ name: "serve", env: [{ name: "DB_PASSWORD", value: `${SECRET}-env` }] }] },
    status: { phase: "Running" },
  };
  return {
    namespace: "demo",
    root: { kind: "ModelDeployment", name: "penguins" },
    lineage: [{ kind: "ModelDeployment", obj: mdep }],
    children: [pod],
    secrets: [
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "db" },
        data: { pass: Buffer.from(SECRET).toString("base64") },
      },
    ],
    events: [
      {
        kind: "Event",
        involvedObject: { kind: "ModelDeployment", name: "penguins" },
        reason: "Hello",
        message: `request from ${EMAIL}`,
        lastTimestamp: "2026-01-01T00:00:00Z",
      },
    ],
    logs: [
      {
        namespace: "demo",
        pod: "penguins-abc",
        container: "serve",
        previous: false,
        text: `got ${KEY}\nAuthorization: Bearer xyz.123\ndb password is ${SECRET}-env\n`,
      },
    ],
    operatorPods: [],
    operatorLogs: [],
    versions: { plugin: { version: "0.1.0" }, crds: [] },
    known: { secrets: [SECRET], apiKeys: [KEY], pii: [EMAIL] },
    piiColumns: ["email"],
    notes: ["no operator pod matches …: the operator runs outside the cluster"],
    apiKeysFrom: "vault",
  };
}

describe("the bundle", () => {
  it("has the fixed layout, README.txt first, and none of the planted values", () => {
    const files = buildBundle(collected(), {
      createdAt: new Date("2026-01-02T03:04:05Z"),
      pluginVersion: "0.1.0",
      tailLines: 2000,
    });
    const paths = [...files.keys()];
    expect(paths[0]).toBe("README.txt");
    expect(paths).toEqual(
      expect.arrayContaining([
        "objects/modeldeployment/penguins.yaml",
        "objects/pod/penguins-abc.yaml",
        "objects/secret/db.yaml",
        "events.txt",
        "events.yaml",
        "logs/penguins-abc/serve.log",
        "summary.txt",
        "versions.yaml",
        "redactions.txt",
      ]),
    );
    const all = [...files.values()].join("\n");
    for (const v of [KEY, EMAIL, SECRET, Buffer.from(SECRET).toString("base64"), "xyz.123"])
      expect(all).not.toContain(v);
    expect(files.get("summary.txt")).toMatch(/ModelDeployment\/penguins\s+True\s+Serving/);
    expect(files.get("README.txt")).toContain("the operator runs outside the cluster");
    expect(files.get("redactions.txt")).toMatch(/^api-key\s+1$/m);
    expect(files.get("redactions.txt")).toMatch(/^pii\s+1$/m);
  });

  it("zips to entries that unzip to the same texts, README.txt first", () => {
    const files = new Map([
      ["README.txt", "hi\n"],
      ["a/b.txt", "b\n"],
    ]);
    const out = unzipSync(zipBundle(files, new Date("2026-01-02T03:04:05Z")));
    expect(Object.keys(out)).toEqual(["README.txt", "a/b.txt"]);
    expect(strFromU8(out["a/b.txt"] as Uint8Array)).toBe("b\n");
  });
});

describe("options", () => {
  it("names the default file after the kind, the name and the UTC time", () => {
    expect(defaultReportName("modeldeployment", "penguins", new Date("2026-01-02T03:04:05.678Z"))).toBe(
      "liftoff-report-modeldeployment-penguins-20260102T030405Z.zip",
    );
  });

  it("reads --tail and refuses what is not a positive count", () => {
    expect(parseTail(undefined)).toBe(2000);
    expect(parseTail("50")).toBe(50);
    expect(() => parseTail("0")).toThrow(/positive number/);
    expect(() => parseTail("ten")).toThrow(/positive number/);
  });

  it("prints sizes the way people read them", () => {
    expect(formatSize(812)).toBe("812 B");
    expect(formatSize(2048)).toBe("2.0 KiB");
    expect(formatSize(3 * 1024 * 1024)).toBe("3.0 MiB");
  });
});
