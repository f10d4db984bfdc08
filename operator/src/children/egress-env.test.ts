import { describe, expect, it } from "vitest";
import { egressEnv } from "./egress-env.js";

describe("egressEnv", () => {
  const allow = "10.0.0.0/8,minio.data.svc";
  it.each([
    ["an http source", allow, ["http://minio.data.svc:9000/b/x.csv"], true],
    ["an https model and a pvc baseline", allow, ["HTTPS://models.example/m.json", "pvc://c/stats.json"], true],
    ["a pvc model with an http baseline", allow, ["pvc://c/m.json", "http://10.1.2.3/stats.json"], true],
    ["pvc and file URIs only", allow, ["pvc://c/m.json", "file:///m/model.json", undefined], false],
    ["no allow-list", undefined, ["http://minio.data.svc:9000/b/x.csv"], false],
  ])("%s → set: %s", (_, list, uris, set) => {
    expect(egressEnv(list, uris)).toEqual(set ? [{ name: "LIFTOFF_EGRESS_ALLOW", value: allow }] : []);
  });
});
