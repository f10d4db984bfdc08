import { describe, expect, it } from "vitest";
import { applyConditions, type Condition, findCondition, removeCondition, setCondition } from "./conditions.js";

const T0 = "2026-01-01T00:00:00Z";
const T1 = "2026-01-01T00:05:00Z";
const at = (t: string) => () => t;

const ready = (status: Condition["status"], reason = "Available", message = "ok") => ({
  type: "Ready",
  status,
  reason,
  message,
});

describe("setCondition", () => {
  it("adds a new condition with the current time and the generation", () => {
    expect(setCondition(undefined, ready("True"), 3, at(T0))).toEqual([
      {
        type: "Ready",
        status: "True",
        observedGeneration: 3,
        lastTransitionTime: T0,
        reason: "Available",
        message: "ok",
      },
    ]);
  });

  it("keeps lastTransitionTime when the status is unchanged, even if reason and message change", () => {
    const before = setCondition(undefined, ready("False", "PodsStarting", "0/1"), 1, at(T0));
    const after = setCondition(before, ready("False", "RolloutInProgress", "1/2"), 2, at(T1));
    expect(after).toEqual([
      {
        type: "Ready",
        status: "False",
        observedGeneration: 2,
        lastTransitionTime: T0,
        reason: "RolloutInProgress",
        message: "1/2",
      },
    ]);
  });

  it("moves lastTransitionTime when the status flips", () => {
    const before = setCondition(undefined, ready("False"), 1, at(T0));
    const after = setCondition(before, ready("True"), 1, at(T1));
    expect(after[0]?.lastTransitionTime).toBe(T1);
    expect(after[0]?.status).toBe("True");
  });

  it("omits observedGeneration when no generation is known", () => {
    expect(setCondition(undefined, ready("True"), undefined, at(T0))[0]).not.toHaveProperty("observedGeneration");
  });

  it("replaces in place and does not mutate its input", () => {
    const input: Condition[] = [
      { type: "A", status: "True", lastTransitionTime: T0, reason: "R", message: "" },
      { type: "Ready", status: "False", lastTransitionTime: T0, reason: "R", message: "" },
    ];
    const copy = structuredClone(input);
    const out = setCondition(input, ready("True"), 1, at(T1));
    expect(input).toEqual(copy);
    expect(out.map((c) => c.type)).toEqual(["A", "Ready"]);
  });
});

describe("removeCondition and findCondition", () => {
  it("remove drops only the named type; find returns it or undefined", () => {
    const list = setCondition(setCondition([], ready("True"), 1, at(T0)), { ...ready("True"), type: "B" }, 1, at(T0));
    expect(removeCondition(list, "Ready").map((c) => c.type)).toEqual(["B"]);
    expect(findCondition(list, "B")?.type).toBe("B");
    expect(findCondition(list, "Missing")).toBeUndefined();
    expect(removeCondition(undefined, "Ready")).toEqual([]);
  });
});

describe("applyConditions", () => {
  const reconciling = { type: "Reconciling", status: "True" as const, reason: "RolloutInProgress", message: "" };
  const stalled = { type: "Stalled", status: "True" as const, reason: "CrashLoopBackOff", message: "" };

  it("removes Reconciling and Stalled when they are not desired and keeps other conditions", () => {
    const current: Condition[] = [
      { type: "Custom", status: "True", lastTransitionTime: T0, reason: "X", message: "" },
      { type: "Reconciling", status: "True", lastTransitionTime: T0, reason: "R", message: "" },
      { type: "Stalled", status: "True", lastTransitionTime: T0, reason: "S", message: "" },
      { type: "Ready", status: "False", lastTransitionTime: T0, reason: "R", message: "" },
    ];
    const out = applyConditions(current, [ready("True")], 4, at(T1));
    expect(out.map((c) => c.type)).toEqual(["Ready", "Custom"]);
    expect(findCondition(out, "Ready")).toMatchObject({
      status: "True",
      lastTransitionTime: T1,
      observedGeneration: 4,
    });
    expect(findCondition(out, "Custom")?.lastTransitionTime).toBe(T0);
  });

  it("orders conditions as desired, whatever the current order", () => {
    const first = applyConditions(undefined, [stalled, ready("False")], 1, at(T0));
    expect(first.map((c) => c.type)).toEqual(["Stalled", "Ready"]);
    const second = applyConditions(
      first,
      [ready("False"), { ...ready("True"), type: "Degraded" }, reconciling],
      1,
      at(T1),
    );
    expect(second.map((c) => c.type)).toEqual(["Ready", "Degraded", "Reconciling"]);
    // Ready kept its status, so its transition time is the first one.
    expect(findCondition(second, "Ready")?.lastTransitionTime).toBe(T0);
  });

  it("gives the same result when applied twice", () => {
    const desired = [ready("False", "PodsStarting"), reconciling];
    const once = applyConditions(undefined, desired, 2, at(T0));
    expect(applyConditions(once, desired, 2, at(T1))).toEqual(once);
  });
});
