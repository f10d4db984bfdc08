import { describe, expect, it } from "vitest";
import { applyIfDiffers, isImmutableRefusal, isPermanentRefusal, refusalMessage, refusedChild } from "./apply.js";
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

describe("refusalMessage", () => {
  const goStruct = `core.PodTemplateSpec{ObjectMeta:v1.ObjectMeta{Name:"", Labels:map[string]string{"a":"b"}}, Spec:core.PodSpec{${"X:1, ".repeat(800)}}}`;
  const immutable = new KubeApiError(
    422,
    {
      message: `Job.batch "penguins-train" is invalid: spec.template: Invalid value: ${goStruct}: field is immutable`,
      reason: "Invalid",
      details: {
        causes: [
          {
            field: "spec.template",
            reason: "FieldValueInvalid",
            message: `Invalid value: ${goStruct}: field is immutable`,
          },
        ],
      },
    },
    "PATCH",
    "/apis/batch/v1/…",
  );
  it.each([
    ["a plain refusal, as the API server gave it", refusal(403), "refused 403"],
    [
      "an invalid field, without the value it quotes",
      immutable,
      'Job.batch "penguins-train" is invalid: spec.template: field is immutable',
    ],
    [
      "no causes: the quoted value cut out of the message",
      new KubeApiError(
        422,
        { message: `Job.batch "j" is invalid: spec.template: Invalid value: ${goStruct}: field is immutable` },
        "PATCH",
        "/x",
      ),
      'Job.batch "j" is invalid: spec.template: field is immutable',
    ],
    [
      "several causes, each once",
      new KubeApiError(
        422,
        {
          message:
            'Service "s" is invalid: [spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, spec.clusterIP: Invalid value: "None": field is immutable]',
          details: {
            causes: [
              { field: "spec.ports[0].port", message: "Invalid value: 0: must be between 1 and 65535" },
              { field: "spec.clusterIP", message: 'Invalid value: "None": field is immutable' },
              { field: "spec.clusterIP", message: 'Invalid value: "None": field is immutable' },
            ],
          },
        },
        "PATCH",
        "/x",
      ),
      'Service "s" is invalid: spec.ports[0].port: must be between 1 and 65535; spec.clusterIP: field is immutable',
    ],
  ])("%s", (_case, err, expected) => {
    expect(refusalMessage(err)).toBe(expected);
  });

  it("is one short line whatever the API server sent", () => {
    const long = new KubeApiError(403, { message: `admission webhook denied: ${"why ".repeat(500)}` }, "PATCH", "/x");
    expect(refusalMessage(long).length).toBeLessThanOrEqual(300);
    expect(refusalMessage(long)).not.toContain("\n");
  });

  it("says what to do about an immutable field, and only then", () => {
    expect(isImmutableRefusal(immutable)).toBe(true);
    expect(isImmutableRefusal(refusal(422))).toBe(false);
    expect(refusedChild("Job", "penguins-train", immutable)).toBe(
      'cannot apply Job penguins-train: Job.batch "penguins-train" is invalid: spec.template: field is immutable; delete the Job to have it made again from the current spec',
    );
    expect(refusedChild("Job", "penguins-train", refusal(403))).toBe("cannot apply Job penguins-train: refused 403");
  });
});
