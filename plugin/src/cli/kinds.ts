// The kinds the plugin knows and how users name them: kubectl's own spellings (full, plural, short name, with or
// without the group) in `KIND/NAME` or `KIND NAME` form.
import { PluginError } from "./errors.js";

export const GROUP = "liftoff.dev";
export const VERSION = "v1alpha1";

export type LiftoffKindName = "DataSet" | "TrainingJob" | "ModelDeployment" | "TrainingSearch";

export interface KindInfo {
  kind: LiftoffKindName;
  plural: string;
  singular: string;
  short: string;
}

export const LIFTOFF_KINDS: Readonly<Record<LiftoffKindName, KindInfo>> = {
  DataSet: { kind: "DataSet", plural: "datasets", singular: "dataset", short: "dset" },
  TrainingJob: { kind: "TrainingJob", plural: "trainingjobs", singular: "trainingjob", short: "tj" },
  ModelDeployment: { kind: "ModelDeployment", plural: "modeldeployments", singular: "modeldeployment", short: "mdep" },
  TrainingSearch: { kind: "TrainingSearch", plural: "trainingsearches", singular: "trainingsearch", short: "tsearch" },
};

const KNOWN = Object.values(LIFTOFF_KINDS)
  .map((k) => `${k.singular} (${k.short})`)
  .join(", ");

/** The kind a user's spelling names, or a PluginError saying which spellings exist. */
export function kindOf(text: string): KindInfo {
  const t = text.toLowerCase().replace(/\.liftoff\.dev$/, "");
  for (const k of Object.values(LIFTOFF_KINDS)) {
    if ([k.plural, k.singular, k.short, k.kind.toLowerCase()].includes(t)) return k;
  }
  throw new PluginError("UnknownKind", `unknown kind "${text}"`, `kubectl liftoff knows ${KNOWN}`);
}

export interface ObjectRef {
  kind: KindInfo;
  name: string;
}

/**
 * The object the positional arguments name: `KIND/NAME`, `KIND NAME`, or a bare `NAME` when the command has a
 * default kind. Returns the ref and how many positionals it used.
 */
export function parseRef(
  positionals: readonly string[],
  opts: { defaultKind?: LiftoffKindName; allowed?: readonly LiftoffKindName[]; command: string },
): { ref: ObjectRef; used: number } {
  const [first, second] = positionals;
  if (!first) {
    throw new PluginError(
      "Usage",
      `kubectl liftoff ${opts.command} needs the object's name`,
      `kubectl liftoff ${opts.command} --help shows how to name it`,
    );
  }
  let ref: ObjectRef;
  let used = 1;
  const slash = first.indexOf("/");
  if (slash >= 0) {
    ref = { kind: kindOf(first.slice(0, slash)), name: first.slice(slash + 1) };
  } else if (second !== undefined && !second.includes("/") && isKindSpelling(first)) {
    ref = { kind: kindOf(first), name: second };
    used = 2;
  } else if (opts.defaultKind) {
    ref = { kind: LIFTOFF_KINDS[opts.defaultKind], name: first };
  } else {
    throw new PluginError("Usage", `"${first}" names no kind`, `write KIND/NAME, e.g. mdep/${first}`);
  }
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(ref.name)) {
    throw new PluginError(
      "Usage",
      `"${ref.name}" is not a valid object name`,
      "names are lower-case letters, digits, '-' and '.'",
    );
  }
  if (opts.allowed && !opts.allowed.includes(ref.kind.kind)) {
    const allowed = opts.allowed.map((k) => LIFTOFF_KINDS[k].short).join(" or ");
    throw new PluginError(
      "UnknownKind",
      `kubectl liftoff ${opts.command} does not work on ${ref.kind.singular}`,
      `name a ${allowed}`,
    );
  }
  return { ref, used };
}

function isKindSpelling(text: string): boolean {
  try {
    kindOf(text);
    return true;
  } catch {
    return false;
  }
}
