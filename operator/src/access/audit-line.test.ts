// The parser against lines a real OpenBao 2.7.2 wrote (testdata/, captured from `bao server -dev` with the file audit
// device declared in its config and x-liftoff-pod audited in clear; every secret in them is HMACed by the server).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAuditLine } from "./audit-line.js";

const lines = (file: string) =>
  readFileSync(join(import.meta.dirname, "testdata", file), "utf8")
    .split("\n")
    .filter((l) => l !== "");
const KEY = "5f0c9a1e2b3d4c5e6f708192a3b4c5d6";

describe("parseAuditLine on OpenBao's own lines (userpass and root logins)", () => {
  const all = lines("openbao-2.7.2-userpass.jsonl");
  const events = all.map(parseAuditLine).filter((e) => e !== undefined);

  it("keeps only responses on a version key's path, one event per call", () => {
    // 45 lines: mounts, policies, logins, and each call's request entry besides its response.
    expect(all.length).toBe(45);
    expect(events.map((e) => [e.namespace, e.dataset, e.keyId, e.op])).toEqual([
      ["team-a", "penguins", KEY, "write"], // the key written (root token)
      ["team-a", "penguins", KEY, "read"], // read with the pod header
      ["team-a", "penguins", KEY, "read"], // read without it
      ["team-a", "penguins", "00000000000000000000000000000000", "refused"], // no such key: 404, no error field
      ["team-b", "x", KEY, "refused"], // another namespace: permission denied
      ["team-a", "penguins", KEY, "refused"], // its metadata: permission denied
      ["team-a", "penguins", KEY, "delete"], // shredded: metadata delete (root)
      ["team-a", "penguins", KEY, "refused"], // read after shredding
    ]);
    expect(new Set(events.map((e) => e.requestId)).size).toBe(events.length);
  });

  it("takes the pod from the audited header and the identity from the login", () => {
    const [, withPod, withoutPod] = events;
    expect(withPod).toMatchObject({
      identity: "userpass-alice",
      pod: "penguins-train-x7k2p",
      time: "2026-12-07T09:03:42.554588145Z",
    });
    expect(withPod?.serviceAccount).toBeUndefined();
    expect(withoutPod?.pod).toBeUndefined();
    expect(events[0]?.identity).toBe("token");
  });

  it("ignores request entries, other paths and lines that are not JSON", () => {
    const request = all.find((l) => l.includes(`"type":"request"`) && l.includes("liftoff-datakeys"));
    expect(request).toBeDefined();
    expect(parseAuditLine(request as string)).toBeUndefined();
    expect(parseAuditLine("liftoff-datakeys {not json")).toBeUndefined();
    expect(parseAuditLine(all[0] as string)).toBeUndefined();
  });
});

describe("parseAuditLine on the local cluster's OpenBao (Kubernetes auth, the runtime's client)", () => {
  // Captured from test/integration/access-record.test.ts: logins and key reads as a real service account.
  const events = lines("openbao-2.7.2-kubernetes.jsonl")
    .map(parseAuditLine)
    .filter((e) => e !== undefined);

  it("names the service account Kubernetes auth verified and the pod the runtime sent", () => {
    const reads = events.filter((e) => e.op !== "write");
    expect(reads.map((e) => [e.op, e.keyId.slice(0, 4), e.serviceAccount, e.serviceAccountNamespace, e.pod])).toEqual([
      ["read", "0f1e", "penguins-train", "access-nmxg6", "penguins-train-x7k2p"],
      ["refused", "0000", "penguins-train", "access-nmxg6", "penguins-train-x7k2p"],
      ["read", "0f1e", "penguins-train", "access-nmxg6", "penguins-train-q9w8e"],
    ]);
    expect(reads.every((e) => e.identity === undefined)).toBe(true);
    // The logins are on another path: not key accesses.
    expect(events.length).toBe(4);
  });
});

describe("parseAuditLine on shapes the sample does not hold", () => {
  const entry = (over: Record<string, unknown>) =>
    JSON.stringify({
      time: "2026-12-07T09:00:00.1Z",
      type: "response",
      auth: {
        display_name: "kubernetes-team-a-penguins-train",
        metadata: { role: "team-a-train", service_account_name: "penguins-train", service_account_namespace: "team-a" },
      },
      request: {
        id: "r1",
        operation: "read",
        path: `secret/data/team-a/liftoff-datakeys/penguins/${KEY}`,
        headers: { "x-liftoff-pod": ["penguins-train-abcde"] },
      },
      response: { data: { data: { wrappedKey: "hmac-sha256:00" } } },
      ...over,
    });

  it("names the service account Kubernetes auth verified, not the display name", () => {
    expect(parseAuditLine(entry({}))).toEqual({
      namespace: "team-a",
      dataset: "penguins",
      keyId: KEY,
      op: "read",
      time: "2026-12-07T09:00:00.1Z",
      requestId: "r1",
      serviceAccount: "penguins-train",
      serviceAccountNamespace: "team-a",
      pod: "penguins-train-abcde",
    });
  });

  it("records no pod name that Kubernetes could not have given", () => {
    const bad = (pod: unknown) =>
      parseAuditLine(
        entry({
          request: {
            id: "r2",
            operation: "read",
            path: `secret/data/team-a/liftoff-datakeys/penguins/${KEY}`,
            headers: { "x-liftoff-pod": pod },
          },
        }),
      );
    expect(bad(["Evil Pod\u0000"])?.pod).toBeUndefined();
    expect(bad(["x".repeat(300)])?.pod).toBeUndefined();
    expect(bad("plain-string")?.pod).toBe("plain-string");
    expect(bad(["a", "b"])?.op).toBe("read");
  });

  it("reads a path only when it is a version key's: a deeper or shallower path is not", () => {
    const at = (path: string) => parseAuditLine(entry({ request: { id: "r3", operation: "read", path } }));
    expect(at(`secret/data/team-a/liftoff-datakeys/penguins/${KEY}/more`)).toBeUndefined();
    expect(at("secret/data/team-a/liftoff-datakeys/penguins")).toBeUndefined();
    expect(at(`secret/data/team-a/other/penguins/${KEY}`)).toBeUndefined();
    expect(at(`kv/data/team-a/liftoff-datakeys/penguins/${KEY}`)?.keyId).toBe(KEY);
  });
});
