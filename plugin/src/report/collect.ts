// Reads what a report covers from the cluster (and the API keys from Vault): raw, unredacted; bundle.ts redacts
// everything before it is written. What cannot be read (RBAC, no operator pod, no Vault login) becomes a note in
// README.txt instead of failing the report; only the named object itself must exist.
import * as k8s from "@kubernetes/client-node";
import { PluginError } from "../cli/errors.js";
import { GROUP, LIFTOFF_KINDS, type LiftoffKindName, type ObjectRef } from "../cli/kinds.js";
import type { Kube } from "../cli/kube.js";
import { readApiKeys, vaultLogin } from "../cli/vault.js";
import { children, type LiftoffObjects, lineage, type Obj } from "./lineage.js";
import { piiColumnsOf, piiValuesOf } from "./redact.js";

/** The operator's pods: config/manager/manager.yaml and the chart label them so. */
const OPERATOR_SELECTOR = "app.kubernetes.io/name=liftoff,app.kubernetes.io/component=operator";

export interface PodLog {
  namespace: string;
  pod: string;
  container: string;
  previous: boolean;
  text: string;
}

export interface Collected {
  namespace: string;
  root: { kind: LiftoffKindName; name: string };
  lineage: { kind: LiftoffKindName; obj: Obj }[];
  /** Children of the lineage, each with kind and apiVersion set. */
  children: Obj[];
  /** Every Secret in the namespace (raw: bundle.ts keeps names and keys only). */
  secrets: Obj[];
  events: Obj[];
  logs: PodLog[];
  operatorPods: Obj[];
  operatorLogs: PodLog[];
  versions: Record<string, unknown>;
  /** Exact values to scrub, learned from Secrets, Vault and DataSets. */
  known: { secrets: string[]; apiKeys: string[]; pii: string[] };
  piiColumns: string[];
  /** What could not be read, and other facts README.txt must state. */
  notes: string[];
  apiKeysFrom: "vault" | "patterns only";
}

export interface CollectOptions {
  tailLines: number;
  pluginVersion: string;
  env: NodeJS.ProcessEnv;
}

type Lister = (ns: string) => Promise<{ items?: unknown[] }>;

/** The child kinds a report lists in the namespace, with how to list them. */
function childListers(kube: Kube): { kind: string; apiVersion: string; list: Lister }[] {
  const core = kube.api(k8s.CoreV1Api);
  const apps = kube.api(k8s.AppsV1Api);
  const batch = kube.api(k8s.BatchV1Api);
  const policy = kube.api(k8s.PolicyV1Api);
  const hpa = kube.api(k8s.AutoscalingV2Api);
  const net = kube.api(k8s.NetworkingV1Api);
  return [
    { kind: "Deployment", apiVersion: "apps/v1", list: (namespace) => apps.listNamespacedDeployment({ namespace }) },
    { kind: "ReplicaSet", apiVersion: "apps/v1", list: (namespace) => apps.listNamespacedReplicaSet({ namespace }) },
    { kind: "Pod", apiVersion: "v1", list: (namespace) => core.listNamespacedPod({ namespace }) },
    { kind: "Job", apiVersion: "batch/v1", list: (namespace) => batch.listNamespacedJob({ namespace }) },
    { kind: "Service", apiVersion: "v1", list: (namespace) => core.listNamespacedService({ namespace }) },
    {
      kind: "PodDisruptionBudget",
      apiVersion: "policy/v1",
      list: (namespace) => policy.listNamespacedPodDisruptionBudget({ namespace }),
    },
    {
      kind: "HorizontalPodAutoscaler",
      apiVersion: "autoscaling/v2",
      list: (namespace) => hpa.listNamespacedHorizontalPodAutoscaler({ namespace }),
    },
    {
      kind: "NetworkPolicy",
      apiVersion: "networking.k8s.io/v1",
      list: (namespace) => net.listNamespacedNetworkPolicy({ namespace }),
    },
    { kind: "ConfigMap", apiVersion: "v1", list: (namespace) => core.listNamespacedConfigMap({ namespace }) },
    { kind: "ServiceAccount", apiVersion: "v1", list: (namespace) => core.listNamespacedServiceAccount({ namespace }) },
    {
      kind: "PersistentVolumeClaim",
      apiVersion: "v1",
      list: (namespace) => core.listNamespacedPersistentVolumeClaim({ namespace }),
    },
  ];
}

/**
 * A typed client-node object as the API server sent it: Dates back to RFC 3339 strings, and the one field of the
 * kinds read here whose model name differs from its JSON name (NetworkPolicy ingress `_from`).
 */
function toPlain(o: unknown): Obj {
  const plain = JSON.parse(JSON.stringify(o)) as Obj;
  for (const rule of (plain.spec?.ingress ?? []) as Obj[]) {
    if (rule && "_from" in rule) {
      rule.from = rule._from;
      delete rule._from;
    }
  }
  return plain;
}

/** Runs a read that may be refused: its failure becomes a note and `fallback`. */
async function optional<T>(notes: string[], what: string, fn: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const e = err instanceof PluginError ? err : undefined;
    // A dead cluster ends the report (the first read would have failed already); a refusal is only a gap.
    if (e?.code === "NoCluster") throw e;
    notes.push(`could not read ${what}: ${e ? e.message : String((err as Error)?.message ?? err)}`);
    return fallback;
  }
}

async function podLogs(kube: Kube, pod: Obj, tailLines: number, notes: string[]): Promise<PodLog[]> {
  const core = kube.api(k8s.CoreV1Api);
  const namespace = pod.metadata.namespace as string;
  const name = pod.metadata.name as string;
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])] as {
    name: string;
    restartCount?: number;
    lastState?: { terminated?: unknown };
  }[];
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])] as { name: string }[];
  const out: PodLog[] = [];
  for (const c of containers) {
    const st = statuses.find((s) => s.name === c.name);
    const wants = [false, ...((st?.restartCount ?? 0) > 0 || st?.lastState?.terminated ? [true] : [])];
    for (const previous of wants) {
      const text = await optional(
        notes,
        `the ${previous ? "previous " : ""}log of ${namespace}/${name} container ${c.name}`,
        () =>
          kube.call(`the log of pod ${name}`, () =>
            core.readNamespacedPodLog({ name, namespace, container: c.name, tailLines, timestamps: true, previous }),
          ),
        undefined as string | undefined,
      );
      if (text !== undefined) out.push({ namespace, pod: name, container: c.name, previous, text: String(text) });
    }
  }
  return out;
}

function secretValues(secrets: readonly Obj[]): string[] {
  const values = new Set<string>();
  for (const s of secrets) {
    // A service-account token Secret also holds the namespace's name and the cluster CA: public, and scrubbing the
    // namespace's name everywhere would make the bundle useless.
    const saToken = s.type === "kubernetes.io/service-account-token";
    for (const [field, decode] of [
      ["data", true],
      ["stringData", false],
    ] as const) {
      for (const [k, v] of Object.entries((s[field] ?? {}) as Record<string, string>)) {
        if (typeof v !== "string" || (saToken && k !== "token")) continue;
        const text = decode ? Buffer.from(v, "base64").toString("utf8") : v;
        values.add(text);
        values.add(v); // the base64 form appears in last-applied annotations and kubectl output
        // A multi-line value (a file) may surface one line at a time.
        for (const line of text.split(/\r?\n/)) if (line.trim().length >= 8) values.add(line.trim());
      }
    }
  }
  return [...values];
}

export async function collect(kube: Kube, ref: ObjectRef, opts: CollectOptions): Promise<Collected> {
  const namespace = kube.namespace;
  const notes: string[] = [];
  // The named object first: a dead cluster or an unknown name ends the report here, with one line.
  await kube.getLiftoff(ref.kind, ref.name);
  const all: LiftoffObjects = { DataSet: [], TrainingJob: [], ModelDeployment: [] };
  for (const kind of ["DataSet", "TrainingJob", "ModelDeployment"] as const) {
    all[kind] = await kube.listLiftoff(LIFTOFF_KINDS[kind], namespace);
  }
  const lin = lineage(all, { kind: ref.kind.kind, name: ref.name });

  const candidates: Obj[] = [];
  for (const l of childListers(kube)) {
    const items = await optional(
      notes,
      `${l.kind} objects in namespace ${namespace}`,
      async () => (await kube.call(`${l.kind} objects`, () => l.list(namespace))).items ?? [],
      [] as unknown[],
    );
    for (const it of items) candidates.push({ apiVersion: l.apiVersion, kind: l.kind, ...toPlain(it) });
  }
  const kids = children(lin, candidates);

  const core = kube.api(k8s.CoreV1Api);
  const secrets = (
    (await optional(
      notes,
      `Secrets in namespace ${namespace} (their values could not be learned; pattern redaction only)`,
      async () => (await kube.call("Secrets", () => core.listNamespacedSecret({ namespace }))).items ?? [],
      [] as unknown[],
    )) as Obj[]
  ).map((s) => ({ apiVersion: "v1", kind: "Secret", ...toPlain(s) }));

  const uids = new Set<string>([...lin.map((l) => l.obj.metadata?.uid), ...kids.map((k) => k.metadata?.uid)]);
  const named = new Set<string>([
    ...lin.map((l) => `${l.kind}/${l.obj.metadata?.name}`),
    ...kids.map((k) => `${k.kind}/${k.metadata?.name}`),
  ]);
  const events = (
    (await optional(
      notes,
      `Events in namespace ${namespace}`,
      async () => (await kube.call("Events", () => core.listNamespacedEvent({ namespace }))).items ?? [],
      [] as unknown[],
    )) as Obj[]
  )
    .map(toPlain)
    .filter((e) => {
      const io = e.involvedObject ?? {};
      return (io.uid && uids.has(io.uid)) || named.has(`${io.kind}/${io.name}`);
    })
    .map((e) => ({ apiVersion: "v1", kind: "Event", ...e }));

  const logs: PodLog[] = [];
  for (const pod of kids.filter((k) => k.kind === "Pod"))
    logs.push(...(await podLogs(kube, pod, opts.tailLines, notes)));

  // The operator's pods, wherever they run; none means it runs outside the cluster (npm start, a laptop).
  let operatorPods = (await optional(
    notes,
    "the operator's pods (all namespaces)",
    async () =>
      (
        await kube.call("the operator's pods", () => core.listPodForAllNamespaces({ labelSelector: OPERATOR_SELECTOR }))
      ).items ?? [],
    [] as unknown[],
  )) as Obj[];
  operatorPods = operatorPods.map((p) => ({ apiVersion: "v1", kind: "Pod", ...toPlain(p) }));
  const operatorLogs: PodLog[] = [];
  for (const pod of operatorPods) operatorLogs.push(...(await podLogs(kube, pod, opts.tailLines, notes)));

  const server = await optional(
    notes,
    "the API server's version",
    async () => {
      const v = await kube.call("the API server's version", () => kube.api(k8s.VersionApi).getCode());
      return { gitVersion: v.gitVersion, platform: v.platform };
    },
    undefined as unknown,
  );
  const ext = kube.api(k8s.ApiextensionsV1Api);
  const crds: Record<string, unknown>[] = [];
  for (const k of Object.values(LIFTOFF_KINDS)) {
    const name = `${k.plural}.${GROUP}`;
    let crd = (await optional(
      notes,
      `CustomResourceDefinition ${name}`,
      () => kube.call(`CustomResourceDefinition ${name}`, () => ext.readCustomResourceDefinition({ name })),
      undefined as unknown,
    )) as Obj | undefined;
    if (!crd) continue;
    crd = toPlain(crd);
    crds.push({
      name,
      generation: crd.metadata?.generation,
      resourceVersion: crd.metadata?.resourceVersion,
      created: crd.metadata?.creationTimestamp,
      versions: (crd.spec?.versions ?? []).map((v: Obj) => ({ name: v.name, served: v.served, storage: v.storage })),
      storedVersions: crd.status?.storedVersions,
      ...(crd.metadata?.labels?.["app.kubernetes.io/version"]
        ? { chartVersion: crd.metadata.labels["app.kubernetes.io/version"] }
        : {}),
    });
  }
  const images = (pods: readonly Obj[]) =>
    [
      ...new Set(
        pods.flatMap((p) =>
          (p.status?.containerStatuses ?? []).map((c: Obj) => `${c.image} (${c.imageID || "no digest"})`),
        ),
      ),
    ].sort();
  const versions = {
    plugin: { version: opts.pluginVersion, node: process.version, platform: `${process.platform}/${process.arch}` },
    server: server ?? "unknown",
    operator: operatorPods.length
      ? { images: images(operatorPods) }
      : { images: [], note: "no operator pod found in the cluster: it runs outside it (or is not installed)" },
    workloadImages: images(kids.filter((k) => k.kind === "Pod")),
    crds,
  };
  if (operatorPods.length === 0) {
    notes.push(
      `no operator pod matches ${OPERATOR_SELECTOR} in any namespace: the operator runs outside the cluster (npm start, a local process) or is not installed, so its log is not in this bundle; attach it yourself after redacting it`,
    );
  }

  // The API keys, only to scrub them.
  const apiKeys: string[] = [];
  let apiKeysFrom: Collected["apiKeysFrom"] = "patterns only";
  const keyRefs = lin
    .filter((l) => l.kind === "ModelDeployment" && l.obj.spec?.auth?.apiKeys)
    .map((l) => l.obj.spec.auth.apiKeys as { path: string; key: string });
  if (keyRefs.length > 0) {
    const login = vaultLogin(opts.env);
    if (login === undefined) {
      notes.push(
        "API keys not read from Vault (no VAULT_ADDR, or no VAULT_TOKEN and no ~/.vault-token): they are redacted by pattern only",
      );
    } else {
      try {
        for (const r of keyRefs) apiKeys.push(...(await readApiKeys(login, r)));
        apiKeysFrom = "vault";
      } catch (err) {
        notes.push(`API keys not read from Vault (${(err as Error).message}): they are redacted by pattern only`);
      }
    }
  }

  // pii: the columns and values of every DataSet in the namespace (Events and logs may name any of them).
  const piiColumns = [...new Set(all.DataSet.flatMap(piiColumnsOf))];
  const pii = [...new Set(all.DataSet.flatMap(piiValuesOf))];

  return {
    namespace,
    root: { kind: ref.kind.kind, name: ref.name },
    lineage: lin,
    children: kids,
    secrets,
    events,
    logs,
    operatorPods,
    operatorLogs,
    versions,
    known: { secrets: secretValues(secrets), apiKeys, pii },
    piiColumns,
    notes,
    apiKeysFrom,
  };
}
