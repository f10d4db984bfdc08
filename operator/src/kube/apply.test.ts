import { describe, expect, it } from "vitest";
import { applyIfDiffers, isPermanentRefusal, refusalMessage } from "./apply.js";
import type { ServiceAccount } from "./models.js";
import { KubeApiError } from "./request.js";
import { RESOURCES } from "./resources.js";

const desired = {
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: { name: "sa", namespace: "ml", labels: { app: "x" } },
  automountServiceAccountToken: false,
};
const live = (rv: string, labels: Record<string, string> = { app: "x", extra: "server" }): ServiceAccount => ({
  ...desired,
  metadata: { ...desired.metadata, labels, resourceVersion: rv, uid: "u" },
});

/** A client whose apply answers `answer` and counts its calls, seeing each request's signal. */
function fakeClient(answer: () => Promise<ServiceAccount>) {
  const calls: Array<{ signal: AbortSignal | undefined }> = [];
  return {
    calls,
    client: {
      apply: (async (_r: unknown, _o: unknown, _s: unknown, ro?: { signal?: AbortSignal }) => {
        calls.push({ signal: ro?.signal });
        return answer();
      }) as never,
    },
  };
}

const refusal = (code: number) => new KubeApiError(code, { message: `refused ${code}` }, "PATCH", "/x");

describe("applyIfDiffers", () => {
  it("sends nothing when the cached copy already holds everything desired", async () => {
    const f = fakeClient(async () => live("2"));
    const out = await applyIfDiffers(f.client, RESOURCES.ServiceAccount, desired, live("1"));
    expect(out).toEqual({ result: "unchanged", object: live("1") });
    expect(f.calls).toHaveLength(0);
  });

  it.each([
    ["no cached copy", undefined, "2", { result: "created", wrote: true }],
    ["a cached copy that differs", live("1", { app: "old" }), "2", { result: "updated", wrote: true }],
    ["a cached copy the server finds equal", live("1", { app: "old" }), "1", { result: "updated", wrote: false }],
  ] as const)("applies with %s", async (_case, current, rv, expected) => {
    const f = fakeClient(async () => live(rv));
    const ac = new AbortController();
    const out = await applyIfDiffers(f.client, RESOURCES.ServiceAccount, desired, current, { signal: ac.signal });
    expect(out).toEqual({ ...expected, object: live(rv) });
    expect(f.calls).toEqual([{ signal: ac.signal }]);
  });

  it("reports a refusal that retrying cannot fix, and throws what back-off may fix", async () => {
    const refused = await applyIfDiffers(
      fakeClient(() => Promise.reject(refusal(422))).client,
      RESOURCES.ServiceAccount,
      desired,
      undefined,
    );
    expect(refused.result).toBe("refused");
    if (refused.result === "refused") expect(refusalMessage(refused.error)).toBe("refused 422");
    for (const err of [refusal(409), refusal(429), refusal(500), new Error("ECONNRESET")]) {
      const f = fakeClient(() => Promise.reject(err));
      await expect(applyIfDiffers(f.client, RESOURCES.ServiceAccount, desired, undefined)).rejects.toBe(err);
    }
  });
});

describe("isPermanentRefusal", () => {
  it.each([
    [400, true],
    [403, true],
    [404, true],
    [422, true],
    [409, false],
    [429, false],
    [500, false],
    [503, false],
  ])("HTTP %i: %s", (code, permanent) => {
    expect(isPermanentRefusal(refusal(code))).toBe(permanent);
  });

  it("is false for anything but an API answer", () => {
    expect(isPermanentRefusal(new Error("socket hang up"))).toBe(false);
  });
});
