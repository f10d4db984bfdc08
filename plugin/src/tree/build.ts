// The lineage tree, built from plain objects (what the API server lists): DataSet → TrainingJob(s) trained on it →
// ModelDeployment(s) serving their model → its tracks (stable, canary) → Deployment → pods, and a ModelDeployment's
// closed loop (status.loop, children <mdep>-loop-<n>). A TrainingSearch hangs under the DataSet of its template, with
// its trial TrainingJobs and the ModelDeployments that name it (spec.model.trainingSearchRef) under it. Pure: the
// command lists, this links, render.ts draws.
import type { KubeObject } from "../cli/kube.js";
import { age } from "../cli/terminal.js";
import { hintFor } from "./hints.js";
import { type Condition, liftoffState, type NodeState, podState, SEVERITY, type StateOf } from "./state.js";

export interface TreeNode {
  kind: string;
  name: string;
  namespace: string;
  state: NodeState;
  reason?: string;
  message?: string;
  /** What to do about a node that is not Ready. */
  hint?: string;
  /** Short digest: sha256:<12 hex>. */
  digest?: string;
  age: string;
  /** One line of facts: rows, epochs and loss, replicas, traffic, loop stage. */
  info?: string;
  /** -o wide: where the data or model is, the pod's node and IP. */
  uri?: string;
  node?: string;
  ip?: string;
  children: TreeNode[];
}

export interface Snapshot {
  datasets: readonly KubeObject[];
  trainingjobs: readonly KubeObject[];
  /** Empty where the cluster has no TrainingSearch CRD (an operator older than the kind). */
  trainingsearches: readonly KubeObject[];
  modeldeployments: readonly KubeObject[];
  deployments: readonly KubeObject[];
  pods: readonly KubeObject[];
}

const MDEP_LABEL = "liftoff.dev/modeldeployment";
const TRACK_LABEL = "liftoff.dev/track";
const LOOP_LABEL = "liftoff.dev/loop";
/** operator/src/trainingsearch/names.ts: a trial's search and index, and the stopped-early annotation. */
const SEARCH_LABEL = "liftoff.dev/trainingsearch";
const TRIAL_INDEX_LABEL = "liftoff.dev/trial-index";
const STOPPED_EARLY = "liftoff.dev/stopped-early";

/** sha256:<64 hex> → sha256:<12 hex>, as the MODEL column shows it. */
export function shortDigest(d: unknown): string | undefined {
  if (typeof d !== "string" || !d) return undefined;
  const m = /^sha256:([a-f0-9]{12})/.exec(d);
  return m ? `sha256:${m[1]}` : d.slice(0, 19);
}

const ns = (o: KubeObject) => o.metadata.namespace ?? "";
const label = (o: KubeObject, k: string) => (o.metadata.labels as Record<string, string> | undefined)?.[k];
const key = (o: KubeObject) => `${ns(o)}/${o.metadata.name}`;
const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

function node(
  kind: string,
  o: KubeObject | { name: string; namespace: string; created?: string | undefined },
  st: StateOf,
  now: Date,
  given: { [K in keyof TreeNode]?: TreeNode[K] | undefined } = {},
): TreeNode {
  // Fields without a value are left out, so -o json shows only what is known.
  const extra = Object.fromEntries(
    Object.entries(given).filter(([, v]) => v !== undefined && v !== ""),
  ) as Partial<TreeNode>;
  const meta = "metadata" in o ? o.metadata : undefined;
  const name = meta ? meta.name : (o as { name: string }).name;
  const namespace = meta ? (meta.namespace ?? "") : (o as { namespace: string }).namespace;
  const created = meta ? meta.creationTimestamp : (o as { created?: string }).created;
  const hint = SEVERITY[st.state] === 0 ? undefined : hintFor(st.reason, kind, name);
  return {
    kind,
    name,
    namespace,
    state: st.state,
    ...(st.reason ? { reason: st.reason } : {}),
    ...(st.message ? { message: st.message } : {}),
    ...(hint ? { hint } : {}),
    age: created ? age(created, now) : "",
    ...extra,
    children: extra.children ?? [],
  };
}

function missing(kind: string, name: string, namespace: string, by: string, now: Date): TreeNode {
  return node(
    kind,
    { name, namespace },
    { state: "Missing", reason: "NotFound", message: `${kind} ${name} does not exist (named by ${by})` },
    now,
  );
}

function dataSetNode(ds: KubeObject, now: Date): TreeNode {
  const s = ds.status ?? {};
  const rows = s.rows;
  const info = [
    s.version ? `version ${s.version}` : undefined,
    rows ? `rows ${rows.total} (train ${rows.train}, val ${rows.validation}, test ${rows.test})` : undefined,
  ].filter(Boolean);
  return node("DataSet", ds, liftoffState(s.conditions as Condition[]), now, {
    ...(shortDigest(s.digest) ? { digest: shortDigest(s.digest) } : {}),
    ...(info.length ? { info: info.join(", ") } : {}),
    ...(s.output ? { uri: s.output } : {}),
  });
}

function trainingJobNode(tj: KubeObject, now: Date): TreeNode {
  const s = tj.status ?? {};
  const p = s.progress;
  const info = [
    s.phase,
    p ? `epoch ${p.epoch}/${p.epochs}` : undefined,
    p?.shortLoss ? `loss ${p.shortLoss}` : typeof p?.loss === "number" ? `loss ${p.loss.toPrecision(4)}` : undefined,
  ].filter(Boolean);
  return node("TrainingJob", tj, liftoffState(s.conditions as Condition[]), now, {
    ...(shortDigest(s.model?.digest) ? { digest: shortDigest(s.model?.digest) } : {}),
    ...(info.length ? { info: info.join(", ") } : {}),
    ...(s.model?.uri ? { uri: s.model.uri } : {}),
  });
}

function deploymentNode(d: KubeObject, pods: readonly KubeObject[], now: Date): TreeNode {
  const want = d.spec?.replicas ?? 1;
  const ready = d.status?.readyReplicas ?? 0;
  const updated = d.status?.updatedReplicas ?? 0;
  const observed = (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
  const st: StateOf =
    ready >= want && updated >= want && observed
      ? { state: "Ready" }
      : { state: "Progressing", reason: "RolloutInProgress", message: `${ready}/${want} replicas ready` };
  const children = pods
    .map((p) => {
      const ps = podState(p as Parameters<typeof podState>[0]);
      const readyC = (p.status?.containerStatuses ?? []).filter((c: { ready?: boolean }) => c.ready).length;
      const total = (p.spec?.containers ?? []).length;
      return node("Pod", p, ps, now, {
        info: `ready ${readyC}/${total}, restarts ${ps.restarts}`,
        ...(p.spec?.nodeName ? { node: p.spec.nodeName } : {}),
        ...(p.status?.podIP ? { ip: p.status.podIP } : {}),
      });
    })
    .sort(byName);
  return node("Deployment", d, st, now, { info: `ready ${ready}/${want}`, children });
}

function trackOf(d: KubeObject): string {
  return (
    d.spec?.template?.metadata?.labels?.[TRACK_LABEL] ?? (d.metadata.name.endsWith("-canary") ? "canary" : "stable")
  );
}

/** The model a ModelDeployment's track serves, in words: its TrainingJob or its URI's end. */
function modelWords(model: KubeObject | undefined): string | undefined {
  if (!model) return undefined;
  if (model.trainingJobRef?.name) return `trainingjob/${model.trainingJobRef.name}`;
  if (model.trainingSearchRef?.name) return `trainingsearch/${model.trainingSearchRef.name}`;
  if (typeof model.uri === "string") return model.uri.length > 48 ? `…${model.uri.slice(-47)}` : model.uri;
  return undefined;
}

function trackNode(
  m: KubeObject,
  track: "stable" | "canary",
  snap: Snapshot,
  tjs: ReadonlyMap<string, KubeObject>,
  now: Date,
): TreeNode {
  const mine = (o: KubeObject) => ns(o) === ns(m) && label(o, MDEP_LABEL) === m.metadata.name;
  const deps = snap.deployments.filter((d) => mine(d) && trackOf(d) === track);
  const pods = snap.pods.filter((p) => mine(p) && (label(p, TRACK_LABEL) ?? "stable") === track);
  const children = deps.map((d) => deploymentNode(d, pods, now)).sort(byName);
  const model = track === "stable" ? m.spec?.model : m.spec?.canary?.model;
  const loop = m.status?.loop;
  const loopCanary = track === "canary" && !m.spec?.canary && loop?.candidate ? loop.candidate : undefined;
  const pct = m.status?.canary?.trafficPercent ?? m.spec?.canary?.trafficPercent;
  const traffic = pct === undefined ? (track === "stable" ? 100 : undefined) : track === "stable" ? 100 - pct : pct;
  // A search's model is its best trial's (status.model.trainingJob, set once the search has succeeded).
  const searchRef = model?.trainingSearchRef?.name as string | undefined;
  const search = searchRef
    ? snap.trainingsearches.find((t) => ns(t) === ns(m) && t.metadata.name === searchRef)
    : undefined;
  const tjRef = (model?.trainingJobRef?.name ?? search?.status?.model?.trainingJob) as string | undefined;
  // A model named by URI is still a TrainingJob's when the URI is that job's artifact: show the job and its digest.
  const tj = tjRef
    ? tjs.get(`${ns(m)}/${tjRef}`)
    : model?.uri
      ? [...tjs.values()].find((t) => ns(t) === ns(m) && t.status?.model?.uri === model.uri)
      : undefined;
  const promoted = track === "stable" ? loop?.promoted : undefined;
  const digest =
    track === "stable"
      ? (promoted?.digest ?? m.status?.model?.digest ?? model?.digest ?? search?.status?.model?.digest)
      : (tj?.status?.model?.digest ?? model?.digest ?? loopCanary?.digest);
  const words = promoted
    ? `trainingjob/${promoted.trainingJob} (loop promoted)`
    : searchRef
      ? `trainingsearch/${searchRef}${tjRef ? ` (best trial ${tjRef})` : " (no result yet)"}`
      : tj && !tjRef
        ? `trainingjob/${tj.metadata.name} (by uri)`
        : (modelWords(model) ?? (loopCanary ? "loop candidate" : undefined));
  const worst = children.reduce<TreeNode | undefined>(
    (w, c) => (!w || SEVERITY[c.state] > SEVERITY[w.state] ? c : w),
    undefined,
  );
  const st: StateOf = worst
    ? {
        state: worst.state === "Ready" ? "Ready" : "Progressing",
        ...(worst.state === "Ready" ? {} : { reason: worst.reason ?? "RolloutInProgress" }),
      }
    : { state: "Progressing", reason: "NoDeployment", message: `no ${track} Deployment yet` };
  const info = [words ? `model ${words}` : undefined, traffic !== undefined ? `traffic ${traffic}%` : undefined];
  const uri =
    track === "stable"
      ? (m.status?.model?.uri ?? model?.uri)
      : (m.status?.canary?.uri ?? model?.uri ?? loopCanary?.uri);
  return node("Track", { name: track, namespace: ns(m), created: m.metadata.creationTimestamp }, st, now, {
    ...(shortDigest(digest) ? { digest: shortDigest(digest) } : {}),
    info: info.filter(Boolean).join(", "),
    ...(uri ? { uri } : {}),
    children,
  });
}

const LOOP_STATE: Readonly<Record<string, NodeState>> = {
  Watching: "Ready",
  Promoted: "Ready",
  RolledBack: "Ready",
  Retraining: "Progressing",
  Canary: "Progressing",
  Failed: "Failed",
};

function loopNode(m: KubeObject, snap: Snapshot, now: Date): TreeNode {
  const loop = m.status?.loop ?? {};
  const stage = (loop.stage as string | undefined) ?? "Watching";
  const failed = (m.status?.conditions as Condition[] | undefined)?.find((c) => c.type === "LoopFailed");
  const st: StateOf = {
    state: LOOP_STATE[stage] ?? "Unknown",
    ...(loop.reason
      ? { reason: loop.reason }
      : failed?.status === "True" && failed.reason
        ? { reason: failed.reason }
        : {}),
    ...(loop.message ? { message: loop.message } : {}),
  };
  const mine = (o: KubeObject) => ns(o) === ns(m) && label(o, LOOP_LABEL) === m.metadata.name;
  const loopTjs = snap.trainingjobs.filter(mine);
  const children = snap.datasets
    .filter(mine)
    .map((ds) => {
      const n = dataSetNode(ds, now);
      n.children = loopTjs
        .filter((tj) => tj.spec?.dataSetRef?.name === ds.metadata.name)
        .map((tj) => trainingJobNode(tj, now))
        .sort(byName);
      return n;
    })
    .sort(byName);
  const used = new Set(children.flatMap((c) => c.children.map((t) => t.name)));
  for (const tj of loopTjs) if (!used.has(tj.metadata.name)) children.push(trainingJobNode(tj, now));
  const info = [
    `stage ${stage}`,
    `iteration ${loop.iteration ?? 0}`,
    loop.trigger?.reason ? `trigger ${loop.trigger.reason}` : undefined,
    loop.decision?.decision ? `decision ${loop.decision.decision} (${loop.decision.reason})` : undefined,
  ];
  return node(
    "Loop",
    { name: m.metadata.name, namespace: ns(m), created: loop.startedAt ?? m.metadata.creationTimestamp },
    st,
    now,
    {
      ...(shortDigest(loop.candidate?.digest) ? { digest: shortDigest(loop.candidate?.digest) } : {}),
      info: info.filter(Boolean).join(", "),
      children,
    },
  );
}

function modelDeploymentNode(m: KubeObject, snap: Snapshot, tjs: ReadonlyMap<string, KubeObject>, now: Date): TreeNode {
  const s = m.status ?? {};
  const children = [trackNode(m, "stable", snap, tjs, now)];
  const hasCanary =
    m.spec?.canary ||
    s.canary ||
    snap.deployments.some(
      (d) => ns(d) === ns(m) && label(d, MDEP_LABEL) === m.metadata.name && trackOf(d) === "canary",
    );
  if (hasCanary) children.push(trackNode(m, "canary", snap, tjs, now));
  if (m.spec?.retrain || s.loop) children.push(loopNode(m, snap, now));
  const want = m.spec?.replicas;
  const info = [
    s.readyReplicas !== undefined || want !== undefined
      ? `replicas ${s.readyReplicas ?? 0}/${want ?? s.replicas ?? "?"}`
      : undefined,
    s.model?.summary ? `model ${s.model.summary}` : undefined,
    s.loop?.stage ? `loop ${s.loop.stage}` : undefined,
  ];
  return node("ModelDeployment", m, liftoffState(s.conditions as Condition[]), now, {
    ...(shortDigest(s.model?.digest) ? { digest: shortDigest(s.model?.digest) } : {}),
    info: info.filter(Boolean).join(", "),
    ...(s.model?.uri ? { uri: s.model.uri } : {}),
    children,
  });
}

/** A search's trial: its TrainingJob's node, with its index, ★ on the best, and Stopped when the rule stopped it. */
function decorateTrial(n: TreeNode, tj: KubeObject, search: KubeObject): TreeNode {
  const index = label(tj, TRIAL_INDEX_LABEL) ?? tj.metadata.name.slice(search.metadata.name.length + 1);
  const best = search.status?.best?.trial === tj.metadata.name;
  n.info = [`trial ${index}${best ? " ★ best" : ""}`, n.info].filter(Boolean).join(", ");
  const stopped = (tj.metadata.annotations as Record<string, string> | undefined)?.[STOPPED_EARLY];
  const phase = tj.status?.phase;
  if (typeof stopped === "string" && phase !== "Failed" && phase !== "Succeeded") {
    // Suspended by the search on purpose: finished as far as the search goes, nothing to fix.
    n.state = "Stopped";
    n.reason = "StoppedEarly";
    n.message = stopped;
    delete n.hint;
  }
  return n;
}

function searchNode(s: KubeObject, children: TreeNode[], now: Date): TreeNode {
  const st = s.status ?? {};
  const t = st.trials;
  const max = s.spec?.maxTrials;
  const metric = st.objective?.metric ?? s.spec?.objective?.metric;
  const info = [
    st.phase,
    t
      ? `${t.total}${max ? `/${max}` : ""} trials: ${t.running} running, ${t.stoppedEarly} stopped early, ${t.succeeded} done, ${t.failed} failed`
      : undefined,
    st.best ? `best ${metric} ${st.best.shortObjective ?? st.best.objective} (${st.best.trial})` : undefined,
  ].filter(Boolean);
  return node("TrainingSearch", s, liftoffState(st.conditions as Condition[]), now, {
    ...(shortDigest(st.model?.digest) ? { digest: shortDigest(st.model?.digest) } : {}),
    ...(info.length ? { info: info.join(", ") } : {}),
    ...(st.model?.uri ? { uri: st.model.uri } : {}),
    children,
  });
}

/** Every lineage tree in the snapshot: one root per DataSet, plus roots for objects whose parent is missing. */
export function buildTrees(snap: Snapshot, now: Date = new Date()): TreeNode[] {
  const tjs = new Map(snap.trainingjobs.map((t) => [key(t), t]));
  const dss = new Map(snap.datasets.map((d) => [key(d), d]));
  const searches = new Map(snap.trainingsearches.map((t) => [key(t), t]));
  /** The search a TrainingJob is a trial of: labelled with its name (cut at 63 characters) and named <search>-<index>. */
  const searchOf = (t: KubeObject): KubeObject | undefined => {
    const l = label(t, SEARCH_LABEL);
    if (l === undefined) return undefined;
    return snap.trainingsearches.find((s) => {
      const n = s.metadata.name;
      return (
        ns(s) === ns(t) &&
        n.slice(0, 63) === l &&
        /^\d+$/.test(t.metadata.name.slice(n.length + 1)) &&
        t.metadata.name.startsWith(`${n}-`)
      );
    });
  };
  const loopOwned = (o: KubeObject) => {
    const owner = label(o, LOOP_LABEL);
    return owner !== undefined && snap.modeldeployments.some((m) => ns(m) === ns(o) && m.metadata.name === owner);
  };
  // ModelDeployments under the TrainingJob of their stable model (by trainingJobRef, else by the model URI).
  const mdepsOf = new Map<string, TreeNode[]>();
  const roots: TreeNode[] = [];
  const missingTjs = new Map<string, TreeNode>();
  const mdepsOfSearch = new Map<string, TreeNode[]>();
  const missingSearches = new Map<string, TreeNode>();
  for (const m of snap.modeldeployments) {
    const n = modelDeploymentNode(m, snap, tjs, now);
    // trainingSearchRef (docs/modeldeployment.md): the deployment hangs under the search it names.
    const searchRef = m.spec?.model?.trainingSearchRef?.name as string | undefined;
    if (searchRef) {
      const k = `${ns(m)}/${searchRef}`;
      if (searches.has(k)) {
        mdepsOfSearch.set(k, [...(mdepsOfSearch.get(k) ?? []), n]);
      } else {
        const parent =
          missingSearches.get(k) ??
          missing("TrainingSearch", searchRef, ns(m), `modeldeployment/${m.metadata.name}`, now);
        parent.children.push(n);
        missingSearches.set(k, parent);
      }
      continue;
    }
    const ref = m.spec?.model?.trainingJobRef?.name as string | undefined;
    const uri = m.spec?.model?.uri as string | undefined;
    const tj = ref
      ? tjs.get(`${ns(m)}/${ref}`)
      : uri
        ? snap.trainingjobs.find((t) => ns(t) === ns(m) && t.status?.model?.uri === uri)
        : undefined;
    if (tj) {
      const list = mdepsOf.get(key(tj)) ?? [];
      list.push(n);
      mdepsOf.set(key(tj), list);
    } else if (ref) {
      const k = `${ns(m)}/${ref}`;
      const parent = missingTjs.get(k) ?? missing("TrainingJob", ref, ns(m), `modeldeployment/${m.metadata.name}`, now);
      parent.children.push(n);
      missingTjs.set(k, parent);
    } else roots.push(n);
  }
  const tjNode = (t: KubeObject) => {
    const n = trainingJobNode(t, now);
    n.children = (mdepsOf.get(key(t)) ?? []).sort(byName);
    return n;
  };
  const tjsOf = new Map<string, TreeNode[]>();
  const missingDss = new Map<string, TreeNode>();
  const trialsOf = new Map<string, { index: number; node: TreeNode }[]>();
  const jobs: KubeObject[] = [];
  for (const t of snap.trainingjobs) {
    const search = searchOf(t);
    if (!search) {
      jobs.push(t);
      continue;
    }
    const n = decorateTrial(tjNode(t), t, search);
    const index = Number(t.metadata.name.slice(search.metadata.name.length + 1));
    trialsOf.set(key(search), [...(trialsOf.get(key(search)) ?? []), { index, node: n }]);
  }
  // A TrainingJob under the DataSet it trains on (a Missing one when it is gone, the root when it names none).
  const underDataSet = (o: KubeObject, ref: string | undefined, n: TreeNode, kind: string) => {
    const k = `${ns(o)}/${ref}`;
    if (ref && dss.has(k)) {
      tjsOf.set(k, [...(tjsOf.get(k) ?? []), n]);
    } else if (ref) {
      const parent = missingDss.get(k) ?? missing("DataSet", ref, ns(o), `${kind}/${o.metadata.name}`, now);
      parent.children.push(n);
      missingDss.set(k, parent);
    } else roots.push(n);
  };
  // A search under the DataSet its template trains on, like a TrainingJob: its trials by index, then its deployments.
  for (const s of snap.trainingsearches) {
    const trials = (trialsOf.get(key(s)) ?? []).sort((a, b) => a.index - b.index).map((t) => t.node);
    const n = searchNode(s, [...trials, ...(mdepsOfSearch.get(key(s)) ?? []).sort(byName)], now);
    underDataSet(s, s.spec?.template?.spec?.dataSetRef?.name, n, "trainingsearch");
  }
  for (const t of jobs) {
    if (loopOwned(t)) continue;
    underDataSet(t, t.spec?.dataSetRef?.name, tjNode(t), "trainingjob");
  }
  for (const d of snap.datasets) {
    if (loopOwned(d)) continue;
    const n = dataSetNode(d, now);
    n.children = (tjsOf.get(key(d)) ?? []).sort(byName);
    roots.push(n);
  }
  roots.push(...missingDss.values(), ...missingTjs.values(), ...missingSearches.values());
  return roots.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

/** Whether a tree holds the node kind/name. */
export function contains(tree: TreeNode, kind: string, name: string): boolean {
  return (tree.kind === kind && tree.name === name) || tree.children.some((c) => contains(c, kind, name));
}

/** Every node, depth first. */
export function walk(tree: TreeNode): TreeNode[] {
  return [tree, ...tree.children.flatMap(walk)];
}

/** The node to name first: the worst one that is not Ready (of equals, the one nearest the root: where the trouble starts). */
export function worstNode(tree: TreeNode): TreeNode | undefined {
  let worst: TreeNode | undefined;
  for (const n of walk(tree)) {
    if (SEVERITY[n.state] === 0) continue; // Ready, or a trial stopped early: nothing to fix
    if (!worst || SEVERITY[n.state] > SEVERITY[worst.state]) worst = n;
  }
  return worst;
}
