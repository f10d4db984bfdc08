import { describe, expect, it } from "vitest";
import { parseHost, parseServiceProxyUri, resolveTarget, type TargetRef } from "./target.js";

const none = (): TargetRef[] => [];

describe("parseServiceProxyUri", () => {
  it.each([
    ["/api/v1/namespaces/team/services/iris/proxy/v2/models/iris/infer", "team", "iris", "/v2/models/iris/infer"],
    [
      "/api/v1/namespaces/team/services/iris:http/proxy/v1/models/iris:predict?x=1",
      "team",
      "iris",
      "/v1/models/iris:predict?x=1",
    ],
    ["/api/v1/namespaces/team/services/http:iris:80/proxy/", "team", "iris", "/"],
    ["/api/v1/namespaces/team/services/iris/proxy", "team", "iris", "/"],
  ])("%s → %s/%s %s", (uri, namespace, name, path) => {
    expect(parseServiceProxyUri(uri)).toEqual({ target: { namespace, name }, path });
  });

  it.each([
    "/v2/models/iris/infer",
    "/api/v1/namespaces/Team/services/iris/proxy/",
    "/api/v1/namespaces/t/pods/p/proxy/",
  ])("%s is not a service-proxy URI", (uri) => expect(parseServiceProxyUri(uri)).toBeUndefined());
});

describe("parseHost", () => {
  it.each([
    ["iris.team", { name: "iris", namespace: "team" }],
    ["iris.team.svc", { name: "iris", namespace: "team" }],
    ["iris.team.svc.cluster.local:80", { name: "iris", namespace: "team" }],
    ["IRIS.team.svc.cluster.local.", { name: "iris", namespace: "team" }],
    ["iris:8080", { name: "iris" }],
    ["iris.example.com", undefined],
    ["10.0.0.1:8012", undefined],
  ])("%s → %j", (host, want) => expect(parseHost(host)).toEqual(want));
});

describe("resolveTarget", () => {
  it("prefers the API server's X-Forwarded-Uri and forwards the path it was sent", () => {
    const r = resolveTarget(
      {
        url: "/v2/models/iris/infer",
        headers: {
          "x-forwarded-uri": "/api/v1/namespaces/team/services/iris/proxy/v2/models/iris/infer",
          host: "other.elsewhere",
          "liftoff-modeldeployment": "x/y",
        },
      },
      none,
    );
    expect(r).toEqual({ ok: true, target: { namespace: "team", name: "iris" }, path: "/v2/models/iris/infer" });
  });

  it("strips a service-proxy prefix the request itself still carries", () => {
    const r = resolveTarget(
      { url: "/api/v1/namespaces/team/services/iris:http/proxy/v2/health/ready", headers: {} },
      none,
    );
    expect(r).toEqual({ ok: true, target: { namespace: "team", name: "iris" }, path: "/v2/health/ready" });
  });

  it("takes the Liftoff-ModelDeployment header before the Host", () => {
    const r = resolveTarget({ url: "/x", headers: { "liftoff-modeldeployment": "team/iris", host: "a.b" } }, none);
    expect(r).toMatchObject({ ok: true, target: { namespace: "team", name: "iris" }, path: "/x" });
  });

  it("refuses a malformed header with 400 naming the form", () => {
    const r = resolveTarget({ url: "/", headers: { "liftoff-modeldeployment": "iris" } }, none);
    expect(r).toMatchObject({ ok: false, status: 400 });
    expect(r.ok ? "" : r.message).toContain("<namespace>/<name>");
  });

  it("reads a cluster DNS Host", () => {
    const r = resolveTarget({ url: "/v2", headers: { host: "iris.team.svc.cluster.local" } }, none);
    expect(r).toMatchObject({ ok: true, target: { namespace: "team", name: "iris" } });
  });

  it("takes a bare Host only when one scale-to-zero deployment has that name", () => {
    const one = (n: string) => (n === "iris" ? [{ namespace: "team", name: "iris" }] : []);
    expect(resolveTarget({ url: "/", headers: { host: "iris" } }, one)).toMatchObject({
      ok: true,
      target: { namespace: "team", name: "iris" },
    });
    const two = () => [
      { namespace: "a", name: "iris" },
      { namespace: "b", name: "iris" },
    ];
    const r = resolveTarget({ url: "/", headers: { host: "iris" } }, two);
    expect(r).toMatchObject({ ok: false, status: 404 });
    expect(r.ok ? "" : r.message).toContain("ambiguous");
  });

  it("answers 404 naming what to send when nothing matches", () => {
    const r = resolveTarget({ url: "/", headers: { host: "10.0.0.7:8012" } }, none);
    expect(r).toMatchObject({ ok: false, status: 404 });
    expect(r.ok ? "" : r.message).toContain("Liftoff-ModelDeployment");
  });
});
