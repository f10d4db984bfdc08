// Apply-if-differs, the operator's one write of a child (controller-runtime's CreateOrPatch, with server-side
// apply): compare the desired object with the cached copy and send an apply only when the cache lacks something
// the operator declares, so an unchanged reconcile makes no write. A refusal that retrying cannot fix comes back as
// an outcome for the caller's status; everything else (conflicts, throttling, 5xx, transport) is thrown and retried.
import type { ApplyBody, KubeClient } from "./client.js";
import { KubeApiError, type RequestOptions } from "./request.js";
import type { ResourceType } from "./resources.js";
import { isSubset } from "./semantic.js";
import type { KubeObject } from "./types.js";

export type ApplyOutcome<T extends KubeObject> =
  /** The cached copy already holds everything desired: nothing was sent. */
  | { result: "unchanged"; object: T }
  /**
   * Applied, there being no cached copy ("created") or one that differed ("updated"). `wrote`: the server stored a
   * new resourceVersion, so the child's watch will bring an event (an apply that changes nothing stores none).
   */
  | { result: "created" | "updated"; object: T; wrote: boolean }
  /** The API server refused the object for good (admission, quota, invalid): say why in the status. */
  | { result: "refused"; error: KubeApiError };

/**
 * A refusal that sending the same body again cannot fix: a 4xx other than a conflict (409, retried on a fresh
 * cache) or throttling (429).
 */
export function isPermanentRefusal(err: unknown): err is KubeApiError {
  return err instanceof KubeApiError && err.code >= 400 && err.code < 500 && err.code !== 409 && err.code !== 429;
}

/** Applies `desired` unless `current` (the cached copy, if any) already holds all of it. */
export async function applyIfDiffers<T extends KubeObject>(
  client: Pick<KubeClient, "apply">,
  resource: ResourceType<T>,
  desired: ApplyBody<T>,
  current: T | undefined,
  ro: RequestOptions = {},
): Promise<ApplyOutcome<T>> {
  if (current && isSubset(desired, current)) return { result: "unchanged", object: current };
  try {
    const object = await client.apply(resource, desired, undefined, ro);
    const wrote = object.metadata?.resourceVersion !== current?.metadata?.resourceVersion;
    return { result: current ? "updated" : "created", object, wrote };
  } catch (err) {
    if (isPermanentRefusal(err)) return { result: "refused", error: err };
    throw err;
  }
}

/** Longest refusal a condition quotes: the API server's own message can hold several KB of Go struct. */
const MAX_REFUSAL = 300;

/**
 * The refusal in one line: each field at fault with what is wrong with it, without the value the API server
 * quotes (for an immutable pod template that is the whole template as a Go struct).
 */
export function refusalMessage(err: KubeApiError): string {
  const message = err.status?.message ?? err.message;
  const causes = err.status?.details?.causes ?? [];
  if (causes.length === 0) return clip(message.replace(/Invalid value: .*: /s, ""));
  const at = message.indexOf(" is invalid");
  const head = at >= 0 ? `${message.slice(0, at + " is invalid".length)}: ` : "";
  const parts = causes.map((c) => {
    const what = (c.message ?? c.reason ?? "invalid").replace(/^Invalid value: .*: /s, "");
    return c.field ? `${c.field}: ${what}` : what;
  });
  return clip(`${head}${[...new Set(parts)].join("; ")}`);
}

/** Whether the refusal is for changing a field the API server never lets change (a Job's pod template, say). */
export function isImmutableRefusal(err: KubeApiError): boolean {
  const causes = err.status?.details?.causes ?? [];
  return (
    err.code === 422 &&
    [err.status?.message ?? "", ...causes.map((c) => c.message ?? "")].some((m) => m.includes("field is immutable"))
  );
}

/** What a condition says of a child the API server refused: the refusal, and for an immutable field what to do. */
export function refusedChild(kind: string, name: string | undefined, err: KubeApiError): string {
  const why = `cannot apply ${kind} ${name}: ${refusalMessage(err)}`;
  return isImmutableRefusal(err) ? `${why}; delete the ${kind} to have it made again from the current spec` : why;
}

function clip(s: string): string {
  return s.length <= MAX_REFUSAL ? s : `${s.slice(0, MAX_REFUSAL - 1)}…`;
}
