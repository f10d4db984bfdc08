import { describe, expect, it } from "vitest";
import { type CheckedAddress, CLOSED, checkEgress, EgressError, parseEgressAllow } from "./egress.js";

/** A resolver standing in for DNS: the addresses a name has in this test. */
const dns =
  (table: Record<string, string[]>) =>
  async (host: string): Promise<CheckedAddress[]> => {
    const found = table[host];
    if (!found) throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
    return found.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };

const names = dns({
  "data.example": ["93.184.215.14"],
  "internal.example": ["10.3.0.7"],
  "mixed.example": ["93.184.215.14", "192.168.1.20"],
  "minio.data.svc": ["93.184.215.14"],
  "minio.data.svc.cluster.local": ["10.96.0.12"],
  "v6.example": ["2606:4700::6810:84e5"],
});

describe("parseEgressAllow", () => {
  it("reads CIDRs, IP addresses, host names and .suffixes, comma-separated", () => {
    const p = parseEgressAllow(" 10.0.0.0/8, 127.0.0.1 ,fd00::/8, Minio.Data.SVC ,.corp.example,,");
    expect(p.cidrs.map((c) => c.prefix)).toEqual([8, 32, 8]);
    expect([...p.hosts]).toEqual(["minio.data.svc"]);
    expect(p.suffixes).toEqual([".corp.example"]);
    expect(parseEgressAllow(undefined)).toEqual({ cidrs: [], hosts: new Set(), suffixes: [] });
  });

  it.each(["10.0.0.0/40", "http://x.example", "a b", "*.example"])("refuses '%s', naming it", (entry) => {
    expect(() => parseEgressAllow(`10.0.0.0/8,${entry}`)).toThrow(
      new RegExp(`LIFTOFF_EGRESS_ALLOW: '${entry.replace(/[.*/]/g, "\\$&")}' is not a CIDR`),
    );
  });
});

describe("checkEgress", () => {
  it("returns every address of a public name (what the request connects to)", async () => {
    await expect(checkEgress("data.example", CLOSED, names)).resolves.toEqual([
      { address: "93.184.215.14", family: 4 },
    ]);
    await expect(checkEgress("v6.example", CLOSED, names)).resolves.toHaveLength(1);
  });

  it("finding: by default refuses a name resolving to a private address, naming host, address, class and the fix", async () => {
    const err = await checkEgress("internal.example", CLOSED, names).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EgressError);
    expect((err as EgressError).reason).toBe("EgressRefused");
    expect((err as Error).message).toBe(
      "connecting to internal.example is refused: it resolves to 10.3.0.7, a private address; if it is a trusted " +
        "source, ask the cluster admin to add it to the operator's --egress-allow / chart egress.allow",
    );
  });

  it("refuses a name when any one of its addresses is refused (the client could pick either)", async () => {
    await expect(checkEgress("mixed.example", CLOSED, names)).rejects.toThrow(/192\.168\.1\.20, a private address/);
  });

  it.each([
    ["127.0.0.1", /it is a loopback address/],
    ["169.254.169.254", /it is a cloud metadata address/],
    ["[fd00:ec2::254]", /it is a cloud metadata address/],
    ["[::ffff:127.0.0.1]", /it is a loopback address/],
    ["0.0.0.0", /it is an unspecified address/],
    ["localhost", /a name of the cluster's own network/],
    ["api.localhost", /a name of the cluster's own network/],
    ["minio.data.svc", /a name of the cluster's own network/],
    ["Minio.Data.Svc.Cluster.Local.", /a name of the cluster's own network/],
    ["kubernetes.default.svc.cluster.local", /a name of the cluster's own network/],
  ])("finding: by default refuses %s", async (host, why) => {
    await expect(checkEgress(host, CLOSED, names)).rejects.toThrow(why);
  });

  it("an allowed CIDR opens the addresses inside it, and only those", async () => {
    const p = parseEgressAllow("10.3.0.0/16");
    await expect(checkEgress("internal.example", p, names)).resolves.toEqual([{ address: "10.3.0.7", family: 4 }]);
    await expect(checkEgress("10.4.0.1", p, names)).rejects.toThrow(EgressError);
    // An allowed IPv4 range covers its IPv4-mapped IPv6 form too.
    await expect(checkEgress("[::ffff:10.3.0.9]", p, names)).resolves.toHaveLength(1);
  });

  it("an allowed host name or .suffix opens that name whatever it resolves to, cluster names included", async () => {
    const p = parseEgressAllow("internal.example,.svc.cluster.local");
    await expect(checkEgress("internal.example", p, names)).resolves.toHaveLength(1);
    await expect(checkEgress("minio.data.svc.cluster.local", p, names)).resolves.toEqual([
      { address: "10.96.0.12", family: 4 },
    ]);
    // The suffix is not the short form: minio.data.svc is another name.
    await expect(checkEgress("minio.data.svc", p, names)).rejects.toThrow(EgressError);
  });

  it("a name that does not resolve is a lookup failure (retried), not a refusal", async () => {
    const err = await checkEgress("nowhere.example", CLOSED, names).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(EgressError);
    expect(err).toMatchObject({ code: "ENOTFOUND" });
  });
});
