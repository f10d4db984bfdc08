import { describe, expect, it } from "vitest";
import { eventLoopTurns } from "./trainer.js";

describe("eventLoopTurns", () => {
  it("a synchronous loop that awaits take() lets timers (and so progress reports) run while it computes", async () => {
    const turns = eventLoopTurns(5);
    let fired = -1;
    setTimeout(() => {
      fired = i;
    }, 0);
    let i = 0;
    const end = performance.now() + 100;
    for (; performance.now() < end; i++) {
      let x = 0;
      for (let k = 0; k < 1000; k++) x += Math.sqrt(k); // a step's worth of work, no I/O
      if (x < 0) break;
      await turns.take();
    }
    expect(fired).toBeGreaterThanOrEqual(0);
    expect(fired).toBeLessThan(i); // it ran before the loop ended, not after
  });

  it("takes no turn more often than asked (most calls cost nothing)", async () => {
    const turns = eventLoopTurns(1_000_000);
    expect(turns.take()).toBeUndefined();
  });
});
