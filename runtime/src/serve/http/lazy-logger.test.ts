import Fastify from "fastify";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { LazyChildLogger, lazyChildLoggerFactory } from "./lazy-logger.js";

/** A pino logger writing its lines into `lines` (time left out, so lines compare). */
function captured(lines: string[]) {
  return pino({ level: "info", timestamp: false }, { write: (s: string) => lines.push(s) });
}

describe("LazyChildLogger", () => {
  it("writes exactly the lines pino's own child writes, bindings and options included", () => {
    const eager: string[] = [];
    const lazy: string[] = [];
    const err = new Error("boom");
    captured(eager).child({ reqId: "req-7" }, { level: "warn" }).error({ err }, "request failed");
    captured(eager).child({ reqId: "req-7" }, { level: "warn" }).info("not at warn");
    new LazyChildLogger(captured(lazy), { reqId: "req-7" }, { level: "warn" }).error({ err }, "request failed");
    new LazyChildLogger(captured(lazy), { reqId: "req-7" }, { level: "warn" }).info("not at warn");
    expect(lazy).toEqual(eager);
    expect(lazy).toHaveLength(1);
  });

  it("makes the child only when something is logged", () => {
    const lines: string[] = [];
    const l = new LazyChildLogger(captured(lines), { reqId: "r" }, {});
    expect([l.isMade, l.level]).toEqual([false, "info"]);
    l.warn("now");
    expect(l.isMade).toBe(true);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ reqId: "r", msg: "now", level: 40 });
  });

  it("is what fastify hands a route as req.log, and the route's error lines keep their request id", async () => {
    const lines: string[] = [];
    const app = Fastify({ loggerInstance: captured(lines), childLoggerFactory: lazyChildLoggerFactory });
    let seen: unknown;
    app.get("/", async (req) => {
      seen = req.log;
      req.log.error("failed here");
      return "ok";
    });
    const r = await app.inject({ method: "GET", url: "/" });
    expect(r.body).toBe("ok");
    expect(seen).toBeInstanceOf(LazyChildLogger);
    expect(lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "failed here")).toMatchObject([{ reqId: "req-1" }]);
    await app.close();
  });
});
