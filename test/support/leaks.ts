// Where a secret value could leak on the local cluster, as text to search: every API object of every kind
// (Events and Secrets included), files under a folder (pod logs, volumes, claim folders), and the environment of
// the processes the node agent runs for pods.
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { kubectl } from "./kube.js";

export interface Haystack {
  where: string;
  text: string;
}

/** The value and its base64 form (Secrets and ConfigMap binaryData carry base64). */
function needles(value: string): string[] {
  return [value, Buffer.from(value).toString("base64")];
}

/** "where" of each haystack containing any form of any value. */
export function leaks(values: string[], haystacks: Haystack[]): string[] {
  const forms = values.flatMap(needles);
  return haystacks.filter((h) => forms.some((f) => h.text.includes(f))).map((h) => h.where);
}

/** Every object the API server lists, all kinds, all namespaces, as JSON (one haystack per kind). */
export async function apiObjects(kubectlPath: string, kubeconfig: string): Promise<Haystack[]> {
  const kinds = (await kubectl(kubectlPath, kubeconfig, ["api-resources", "--verbs=list", "-o", "name"]))
    .split("\n")
    .filter(Boolean);
  return Promise.all(
    kinds.map(async (kind) => ({
      where: `API ${kind}`,
      text: await kubectl(kubectlPath, kubeconfig, ["get", kind, "--all-namespaces", "-o", "json"]),
    })),
  );
}

/** Every regular file below `dir`, without following links (a pod root's mounts link to its volumes). */
export function filesUnder(dir: string): Haystack[] {
  const out: Haystack[] = [];
  const walk = (d: string) => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e);
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (st?.isDirectory()) walk(p);
      else if (st?.isFile()) out.push({ where: p, text: readFileSync(p).toString("latin1") });
    }
  };
  walk(dir);
  return out;
}

/** The environment of every live process the node agent started for a pod under `podsDir`. */
export function podEnvironments(podsDir: string): Haystack[] {
  const out: Haystack[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    let env: string;
    try {
      env = readFileSync(`/proc/${pid}/environ`, "latin1");
    } catch {
      continue;
    }
    if (env.includes(`LIFTOFF_PATH_PREFIX=${podsDir}/`)) out.push({ where: `env of pid ${pid}`, text: env });
  }
  return out;
}
