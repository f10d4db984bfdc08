// Which Liftoff objects and which of their children a report covers (pure): the named object's lineage is every
// object connected to it by a reference (TrainingJob.spec.dataSetRef; ModelDeployment.spec.model / canary.model
// .trainingJobRef, capture.dataSetRef, monitoring.drift.baselineDataSetRef; DataSet.spec.source.captured
// .modelDeploymentRef), in both directions; the children are the objects labelled with a lineage object's name
// (liftoff.dev/dataset|trainingjob|modeldeployment, operator/src/*/names.ts) or owned by something already taken.
import type { LiftoffKindName } from "../cli/kinds.js";

// biome-ignore lint/suspicious/noExplicitAny: objects as the API server sends them
export type Obj = Record<string, any>;

export interface LiftoffObjects {
  DataSet: Obj[];
  TrainingJob: Obj[];
  ModelDeployment: Obj[];
}

const CHILD_LABELS: Readonly<Record<LiftoffKindName, string>> = {
  DataSet: "liftoff.dev/dataset",
  TrainingJob: "liftoff.dev/trainingjob",
  ModelDeployment: "liftoff.dev/modeldeployment",
  TrainingSearch: "liftoff.dev/trainingsearch",
};

/** The kinds a report's lineage follows. */
type ReportKind = keyof LiftoffObjects;

interface Edge {
  from: ReportKind;
  to: ReportKind;
  names: (o: Obj) => (string | undefined)[];
}

const EDGES: readonly Edge[] = [
  { from: "TrainingJob", to: "DataSet", names: (o) => [o.spec?.dataSetRef?.name] },
  {
    from: "ModelDeployment",
    to: "TrainingJob",
    names: (o) => [o.spec?.model?.trainingJobRef?.name, o.spec?.canary?.model?.trainingJobRef?.name],
  },
  {
    from: "ModelDeployment",
    to: "DataSet",
    names: (o) => [o.spec?.capture?.dataSetRef?.name, o.spec?.monitoring?.drift?.baselineDataSetRef?.name],
  },
  { from: "DataSet", to: "ModelDeployment", names: (o) => [o.spec?.source?.captured?.modelDeploymentRef?.name] },
];

const key = (kind: string, name: string) => `${kind}/${name}`;

/** The lineage of `root`: itself first, then the connected objects in kind order (DataSet, TrainingJob, ModelDeployment). */
export function lineage(
  all: LiftoffObjects,
  root: { kind: LiftoffKindName; name: string },
): { kind: LiftoffKindName; obj: Obj }[] {
  const byKey = new Map<string, { kind: LiftoffKindName; obj: Obj }>();
  for (const kind of ["DataSet", "TrainingJob", "ModelDeployment"] as const) {
    for (const obj of all[kind]) byKey.set(key(kind, obj.metadata?.name), { kind, obj });
  }
  const seen = new Set<string>([key(root.kind, root.name)]);
  const queue = [key(root.kind, root.name)];
  while (queue.length > 0) {
    const k = queue.shift() as string;
    const node = byKey.get(k);
    if (!node) continue;
    const next: string[] = [];
    for (const e of EDGES) {
      // Forward: what this object names.
      if (e.from === node.kind) for (const n of e.names(node.obj)) if (n) next.push(key(e.to, n));
      // Backward: the objects that name this one.
      if (e.to === node.kind) {
        for (const other of all[e.from]) {
          if (e.names(other).includes(node.obj.metadata?.name)) next.push(key(e.from, other.metadata?.name));
        }
      }
    }
    for (const n of next) {
      if (!seen.has(n) && byKey.has(n)) {
        seen.add(n);
        queue.push(n);
      }
    }
  }
  const order: LiftoffKindName[] = ["DataSet", "TrainingJob", "ModelDeployment"];
  const rootKey = key(root.kind, root.name);
  return [...seen]
    .filter((k) => byKey.has(k))
    .map((k) => byKey.get(k) as { kind: LiftoffKindName; obj: Obj })
    .sort((a, b) => {
      const ra = key(a.kind, a.obj.metadata.name) === rootKey ? 0 : 1;
      const rb = key(b.kind, b.obj.metadata.name) === rootKey ? 0 : 1;
      if (ra !== rb) return ra - rb;
      const ka = order.indexOf(a.kind) - order.indexOf(b.kind);
      return ka !== 0 ? ka : String(a.obj.metadata.name).localeCompare(String(b.obj.metadata.name));
    });
}

/**
 * The children of the lineage among `candidates` (namespaced objects of any kind, each with its `kind` set): those
 * labelled with a lineage object's name, then, repeatedly, those owned by an object already taken (a Deployment's
 * ReplicaSets and their Pods, a Job's Pods). Each appears once, in the candidates' order.
 */
export function children(lin: readonly { kind: LiftoffKindName; obj: Obj }[], candidates: readonly Obj[]): Obj[] {
  const names = new Map<string, Set<string>>();
  const uids = new Set<string>();
  for (const { kind, obj } of lin) {
    const label = CHILD_LABELS[kind];
    if (!names.has(label)) names.set(label, new Set());
    names.get(label)?.add(obj.metadata?.name);
    if (obj.metadata?.uid) uids.add(obj.metadata.uid);
  }
  const taken = new Set<Obj>();
  for (const c of candidates) {
    const labels = (c.metadata?.labels ?? {}) as Record<string, string>;
    if ([...names].some(([label, set]) => labels[label] !== undefined && set.has(labels[label]))) {
      taken.add(c);
      if (c.metadata?.uid) uids.add(c.metadata.uid);
    }
  }
  for (let grew = true; grew; ) {
    grew = false;
    for (const c of candidates) {
      if (taken.has(c)) continue;
      const owners = (c.metadata?.ownerReferences ?? []) as { uid?: string }[];
      if (owners.some((o) => o.uid && uids.has(o.uid))) {
        taken.add(c);
        if (c.metadata?.uid) uids.add(c.metadata.uid);
        grew = true;
      }
    }
  }
  return candidates.filter((c) => taken.has(c));
}
