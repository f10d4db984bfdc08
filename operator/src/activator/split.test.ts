import { describe, expect, it } from "vitest";
import { chooseTrack, RoundRobin } from "./split.js";

describe("chooseTrack", () => {
  it("never sends to the canary at 0 % and always at 100 %", () => {
    for (const d of [0, 0.5, 0.999]) {
      expect(chooseTrack(0, d)).toBe("stable");
      expect(chooseTrack(100, d)).toBe("canary");
    }
  });

  it("splits by the draw: 20 % of a uniform grid goes to the canary", () => {
    const draws = Array.from({ length: 1000 }, (_, i) => i / 1000);
    const canary = draws.filter((d) => chooseTrack(20, d) === "canary").length;
    expect(canary).toBe(200);
  });
});

describe("RoundRobin", () => {
  const eps = [
    { ip: "10.0.0.1", port: 8080 },
    { ip: "10.0.0.2", port: 8080 },
    { ip: "10.0.0.3", port: 8080 },
  ];

  it("cycles over the endpoints", () => {
    const rr = new RoundRobin();
    const picked = Array.from({ length: 6 }, () => rr.pick("k", eps)?.ip);
    expect(picked).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.1", "10.0.0.2", "10.0.0.3"]);
  });

  it("skips excluded endpoints and answers undefined when none is left", () => {
    const rr = new RoundRobin();
    const ex = new Set(["10.0.0.1:8080", "10.0.0.2:8080"]);
    expect(rr.pick("k", eps, ex)?.ip).toBe("10.0.0.3");
    expect(rr.pick("k", eps.slice(0, 2), ex)).toBeUndefined();
    expect(rr.pick("k", [])).toBeUndefined();
  });
});
