import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { installMethodGuard, RouteTable } from "./route-methods.js";

function table(): RouteTable {
  const t = new RouteTable();
  t.add("/things", "GET");
  t.add("/things", "HEAD");
  t.add("/things/:id", ["GET", "HEAD"], (p) => !p.includes(":"));
  t.add("/things/:id", "POST", (p) => p.includes(":"));
  t.add("/things/:id/run", "POST");
  t.add("/a.b", "GET");
  return t;
}

describe("RouteTable", () => {
  it.each([
    ["/things", ["GET", "HEAD"]],
    ["/things/1", ["GET", "HEAD"]],
    ["/things/1:go", ["POST"]],
    ["/things/1/run", ["POST"]],
    ["/a.b", ["GET"]],
    ["/aXb", undefined],
    ["/things/1/2", undefined],
    ["/other", undefined],
  ])("%s → %j", (path, allow) => {
    expect(table().allowed(path)).toEqual(allow);
  });

  it("lists HEAD after the methods it mirrors, each once", () => {
    const t = new RouteTable();
    t.add("/x", ["GET", "HEAD"]);
    t.add("/x", ["POST", "GET"]);
    expect(t.allowed("/x")).toEqual(["GET", "POST", "HEAD"]);
  });

  it("answers 405 with Allow for a known path, 404 (with a shortened path) for others", () => {
    const t = table();
    expect(t.unroutedError("PUT", "/things").headers).toEqual({ allow: "GET, HEAD" });
    expect(t.unroutedError("PUT", "/things").code).toBe("LIFTOFF_ERR_METHOD_NOT_ALLOWED");
    const long = `/${"x".repeat(300)}`;
    expect(t.unroutedError("PUT", long).message).toBe(`no route for PUT ${long.slice(0, 200)}...`);
  });

  it("learns the routes of a Fastify app as they are registered, HEAD twins included", async () => {
    const app = Fastify();
    const routes = installMethodGuard(app);
    await app.register(async (child) => {
      child.get("/in-plugin", async () => "ok");
    });
    app.post("/p", async () => "ok");
    await app.ready();
    expect(routes.allowed("/in-plugin")).toEqual(["GET", "HEAD"]);
    expect(routes.allowed("/p")).toEqual(["POST"]);
    await app.close();
  });
});
