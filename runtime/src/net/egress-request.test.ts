// The guarded GET against real local servers: what the default refuses, what an allow-list opens, and how redirects
// are re-checked. Names other than IP literals resolve through a test resolver, so a request that reaches the server
// proves it connected to the checked address (the system's DNS does not know these names).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CheckedAddress, CLOSED, EgressError, parseEgressAllow } from "./egress.js";
import { egressGet, FetchFailed, MAX_REDIRECTS, redirectTarget } from "./egress-request.js";

let server: Server;
let port: number;
const SECRET = "ami-secret-token";

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/data.csv") {
      res.writeHead(200, { "content-type": "text/csv", "content-length": "8" }).end("a,b\n1,2\n");
    } else if (url.pathname === "/to-loopback") {
      // An allowed host sends the client on to a refused one; the Location carries a value that must not leak.
      res.writeHead(302, { location: `http://127.0.0.1:${port}/data.csv?${SECRET}` }).end();
    } else if (url.pathname === "/relative") {
      res.writeHead(301, { location: "/data.csv" }).end();
    } else if (url.pathname === "/loop") {
      res.writeHead(307, { location: "/loop" }).end();
    } else {
      res.writeHead(404, { "x-detail": SECRET }).end(SECRET);
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** Resolves `name` to 127.0.0.1 and counts the lookups. */
function resolver(name: string) {
  const calls: string[] = [];
  const lookup = async (host: string): Promise<CheckedAddress[]> => {
    calls.push(host);
    if (host !== name) throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
    return [{ address: "127.0.0.1", family: 4 }];
  };
  return { lookup, calls };
}

const TIMEOUT = { timeoutMs: 10_000 };

describe("egressGet", () => {
  it("finding: by default a loopback server is refused before any connection", async () => {
    const err = await egressGet(`http://127.0.0.1:${port}/data.csv`, { policy: CLOSED, ...TIMEOUT }).catch((e) => e);
    expect(err).toBeInstanceOf(EgressError);
    expect(err.message).toMatch(/connecting to 127\.0\.0\.1 is refused: it is a loopback address; .*--egress-allow/);
  });

  it("an allow-list entry opens it, and the body is read", async () => {
    const policy = parseEgressAllow("127.0.0.0/8");
    const res = await egressGet(`http://127.0.0.1:${port}/data.csv`, { policy, ...TIMEOUT });
    expect(res.status).toBe(200);
    expect(res.declaredLength).toBe(8);
    expect(await res.text()).toBe("a,b\n1,2\n");
  });

  it("connects to the address it checked: one lookup, none by the socket (DNS-rebinding safe)", async () => {
    const { lookup, calls } = resolver("data.internal.test");
    const policy = parseEgressAllow("127.0.0.1/32");
    const res = await egressGet(`http://data.internal.test:${port}/data.csv`, { policy, lookup, ...TIMEOUT });
    expect(await res.text()).toBe("a,b\n1,2\n");
    expect(calls).toEqual(["data.internal.test"]);
  });

  it("follows a relative redirect, checking the next hop again", async () => {
    const { lookup, calls } = resolver("mirror.test");
    const policy = parseEgressAllow("mirror.test");
    const res = await egressGet(`http://mirror.test:${port}/relative`, { policy, lookup, ...TIMEOUT });
    expect(await res.text()).toBe("a,b\n1,2\n");
    expect(calls).toEqual(["mirror.test", "mirror.test"]);
  });

  it("finding: a redirect from an allowed host to a refused one is refused, and the Location never shows", async () => {
    const { lookup } = resolver("mirror.test");
    const policy = parseEgressAllow("mirror.test"); // the name is allowed; 127.0.0.1 as such is not
    const err = await egressGet(`http://mirror.test:${port}/to-loopback?token=t`, { policy, lookup, ...TIMEOUT }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(EgressError);
    expect(err.message).toBe(
      `http://mirror.test:${port}/to-loopback redirects to a loopback address, which is refused; if that is a ` +
        "trusted source, ask the cluster admin to add it to the operator's --egress-allow / chart egress.allow",
    );
    expect(err.message).not.toContain(SECRET);
  });

  it(`stops after ${MAX_REDIRECTS} redirects`, async () => {
    const policy = parseEgressAllow("127.0.0.1");
    await expect(egressGet(`http://127.0.0.1:${port}/loop`, { policy, ...TIMEOUT })).rejects.toThrow(
      `http://127.0.0.1:${port}/loop redirects more than ${MAX_REDIRECTS} times; refused`,
    );
  });

  it("an error status comes back as it is; nothing of the body or headers is read", async () => {
    const policy = parseEgressAllow("127.0.0.1");
    const res = await egressGet(`http://127.0.0.1:${port}/missing`, { policy, ...TIMEOUT });
    expect(res).toMatchObject({ status: 404, ok: false });
    res.cancel();
  });

  it("a refused connection is a FetchFailed naming the URL and the error code", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const gone = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const err = await egressGet(`http://127.0.0.1:${gone}/x?k=v`, {
      policy: parseEgressAllow("127.0.0.1"),
      ...TIMEOUT,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(FetchFailed);
    expect(err.message).toBe(`cannot download http://127.0.0.1:${gone}/x: ECONNREFUSED`);
  });
});

describe("redirectTarget", () => {
  const here = new URL("https://data.example/a/b.csv");
  const name = "https://data.example/a/b.csv";

  it("is undefined for a response that is no redirect", () => {
    expect(redirectTarget(here, 200, "/elsewhere", 0, name)).toBeUndefined();
    expect(redirectTarget(here, 302, undefined, 0, name)).toBeUndefined();
  });

  it("resolves the Location against the current URL", () => {
    expect(redirectTarget(here, 308, "c.csv", 0, name)?.href).toBe("https://data.example/a/c.csv");
  });

  it.each([
    ["http://data.example/a/b.csv", 0, "redirects from https to http; refused"],
    ["file:///etc/passwd", 0, "redirects to a URL that is not http(s); refused"],
    ["https://data.example/next", MAX_REDIRECTS, `redirects more than ${MAX_REDIRECTS} times; refused`],
  ])("refuses %s at hop %i", (location, hop, why) => {
    expect(() => redirectTarget(here, 302, location, hop, name)).toThrow(`${name} ${why}`);
    expect(() => redirectTarget(here, 302, location, hop, name)).toThrow(EgressError);
  });
});
