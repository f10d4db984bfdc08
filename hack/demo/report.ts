// What a failed step prints about a Liftoff object: its conditions and the last log lines of its pods.
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";

export interface ObjectRef {
  kind: "DataSet" | "TrainingJob" | "ModelDeployment" | "TrainingSearch";
  namespace: string;
  name: string;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

const PLURAL: Record<ObjectRef["kind"], string> = {
  DataSet: "datasets",
  TrainingJob: "trainingjobs",
  ModelDeployment: "modeldeployments",
  TrainingSearch: "trainingsearches",
};

export function plural(kind: ObjectRef["kind"]): string {
  return PLURAL[kind];
}

/** `Ready=False PrepareFailed: the column "x" is missing` (pure). */
export function formatConditions(conditions: Condition[]): string[] {
  if (conditions.length === 0) return ["(no conditions yet: the operator has not reconciled it)"];
  return conditions.map(
    (c) => `${c.type}=${c.status}${c.reason ? ` ${c.reason}` : ""}${c.message ? `: ${oneLine(c.message)}` : ""}`,
  );
}

/** A message on one line, at most `max` characters: the pod logs below carry the whole story. */
function oneLine(message: string, max = 240): string {
  const flat = message.replace(/\s*\n\s*/g, " ⏎ ");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The pods Liftoff made for the object carry `liftoff.dev/<kind>=<name>`. */
export function podSelector(ref: ObjectRef): string {
  return `liftoff.dev/${ref.kind.toLowerCase()}=${ref.name}`;
}

async function readConditions(kc: KubeConfig, ref: ObjectRef): Promise<Condition[]> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const obj = (await custom.getNamespacedCustomObject({
    group: "liftoff.dev",
    version: "v1alpha1",
    namespace: ref.namespace,
    plural: PLURAL[ref.kind],
    name: ref.name,
  })) as { status?: { conditions?: Condition[] } };
  return obj.status?.conditions ?? [];
}

export async function describeFailure(kc: KubeConfig, ref: ObjectRef, tailLines = 15): Promise<string[]> {
  const lines: string[] = [`${ref.kind} ${ref.namespace}/${ref.name}:`];
  try {
    lines.push(...formatConditions(await readConditions(kc, ref)).map((l) => `  ${l}`));
  } catch (err) {
    lines.push(`  (could not read it: ${(err as Error).message})`);
    return lines;
  }
  const core = kc.makeApiClient(CoreV1Api);
  const pods = await core
    .listNamespacedPod({ namespace: ref.namespace, labelSelector: podSelector(ref) })
    .then((l) => l.items)
    .catch(() => []);
  // The newest pods say most; two are enough to show a crash loop or a failed retry.
  const newest = pods
    .sort((a, b) => String(b.metadata?.creationTimestamp).localeCompare(String(a.metadata?.creationTimestamp)))
    .slice(0, 2);
  for (const pod of newest) {
    const name = pod.metadata?.name ?? "";
    lines.push(`pod ${name} (${pod.status?.phase ?? "Unknown"}), last ${tailLines} log lines:`);
    const log = await core
      .readNamespacedPodLog({ namespace: ref.namespace, name, tailLines })
      .catch((err: Error) => `(no log: ${err.message})`);
    lines.push(
      ...String(log)
        .trimEnd()
        .split("\n")
        .map((l) => `  | ${l}`),
    );
  }
  if (pods.length === 0) lines.push(`no pods with ${podSelector(ref)}`);
  return lines;
}
