// The bundle's files from what collect.ts read (pure): every object, Event, log line and version passes through one
// Redactor before it becomes a file; README.txt (first in the zip) says what is inside and what was removed, and
// redactions.txt counts the removals by class. The layout is fixed, so tools and people find the same paths.
import { strToU8, zipSync } from "fflate";
import { table, toYaml } from "../cli/terminal.js";
import type { Collected, PodLog } from "./collect.js";
import type { Obj } from "./lineage.js";
import { REDACTED, Redactor, redactionsText, secretEnvValues } from "./redact.js";

export interface BundleMeta {
  createdAt: Date;
  pluginVersion: string;
  tailLines: number;
  /** kubectl's context, for README.txt. */
  context?: string;
}

const objectPath = (o: Obj) => `objects/${String(o.kind).toLowerCase()}/${o.metadata?.name}.yaml`;
const logPath = (l: PodLog, root: string) => `${root}/${l.pod}/${l.container}${l.previous ? ".previous" : ""}.log`;

function ready(o: Obj): { ready: string; reason: string; message: string } {
  const conds = (o.status?.conditions ?? []) as { type: string; status: string; reason?: string; message?: string }[];
  const c = conds.find((x) => x.type === "Ready") ?? conds.find((x) => x.type === "Available");
  if (c) return { ready: c.status, reason: c.reason ?? "", message: c.message ?? "" };
  if (o.kind === "Pod") return { ready: "-", reason: String(o.status?.phase ?? ""), message: "" };
  return { ready: "-", reason: "", message: "" };
}

function eventTime(e: Obj): string {
  return String(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? "");
}

/** The bundle's files, path → text, README.txt first. */
export function buildBundle(c: Collected, meta: BundleMeta): Map<string, string> {
  const envSecrets = secretEnvValues([...c.lineage.map((l) => l.obj), ...c.children, ...c.operatorPods]);
  const r = new Redactor({ ...c.known, envSecrets });
  r.setPiiColumns(c.piiColumns);
  const files = new Map<string, string>();
  const put = (path: string, text: string) => files.set(path, text.endsWith("\n") ? text : `${text}\n`);

  const objects = [...c.lineage.map((l) => l.obj), ...c.children, ...c.secrets];
  for (const o of objects) put(objectPath(o), toYaml(r.object(o)));

  const summaryRows = [...c.lineage.map((l) => l.obj), ...c.children].map((o) => {
    const s = ready(o);
    return [`${o.kind}/${o.metadata?.name}`, s.ready, s.reason, r.text(s.message).slice(0, 160)];
  });
  put("summary.txt", table(["object", "ready", "reason", "message"], summaryRows));

  const events = [...c.events].sort((a, b) => eventTime(a).localeCompare(eventTime(b)));
  const redactedEvents = events.map((e) => r.object(e));
  put("events.yaml", toYaml(redactedEvents));
  put(
    "events.txt",
    table(
      ["last seen", "type", "reason", "object", "count", "message"],
      redactedEvents.map((e) => [
        eventTime(e),
        String(e.type ?? ""),
        String(e.reason ?? ""),
        `${e.involvedObject?.kind}/${e.involvedObject?.name}`,
        String(e.count ?? 1),
        String(e.message ?? "").replace(/\s*\n\s*/g, " "),
      ]),
    ),
  );

  for (const l of c.logs) put(logPath(l, "logs"), r.text(l.text));
  for (const p of c.operatorPods)
    put(`operator/${p.metadata?.namespace}/${p.metadata?.name}.yaml`, toYaml(r.object(p)));
  for (const l of c.operatorLogs) put(logPath(l, `operator/${l.namespace}`), r.text(l.text));

  put("versions.yaml", toYaml(r.object(c.versions)));
  const notes = c.notes.map((n) => r.text(n));
  put("redactions.txt", redactionsText(r.tally()));

  const readme = readmeText({ ...c, notes }, meta, [...files.keys()]);
  return new Map([["README.txt", readme], ...[...files].sort(([a], [b]) => a.localeCompare(b))]);
}

function readmeText(c: Collected, meta: BundleMeta, paths: readonly string[]): string {
  const root = `${c.root.kind}/${c.root.name}`;
  const lines = [
    `Liftoff support bundle for ${root} in namespace ${c.namespace}`,
    `Written ${meta.createdAt.toISOString()} by kubectl-liftoff ${meta.pluginVersion}${meta.context ? ` (context ${meta.context})` : ""}.`,
    "",
    "What is inside",
    "  README.txt            this file",
    "  summary.txt           every object below with its Ready condition (reason and message)",
    "  objects/<kind>/<name>.yaml",
    "                        the object, its lineage (DataSet <-> TrainingJob <-> ModelDeployment), their children",
    "                        (Deployments, ReplicaSets, Pods, Jobs, Services, PDBs, HPAs, NetworkPolicies,",
    "                        ConfigMaps, ServiceAccounts, PVCs) and the namespace's Secrets (names and keys only)",
    "  events.txt / .yaml    the Events of all of them, oldest first",
    `  logs/<pod>/<container>[.previous].log`,
    `                        the last ${meta.tailLines} lines of each container (the previous run's too after a restart)`,
    "  operator/             the operator's pods and logs, when it runs in the cluster",
    "  versions.yaml         plugin, Kubernetes server, operator and workload images, installed Liftoff CRDs",
    "  redactions.txt        how many values of each class were removed (never the values)",
    "",
    `Lineage: ${c.lineage.map((l) => `${l.kind}/${l.obj.metadata?.name}`).join(", ")}`,
    `Files: ${paths.length + 1}`,
    "",
    `What was redacted (each replaced by ${REDACTED})`,
    "  - every Secret value (names, types and keys are kept), service-account tokens",
    "  - env var values whose name looks secret (KEY, TOKEN, SECRET, PASSWORD, CREDENTIAL, AUTH, SALT, ...)",
    "  - the same inside kubectl.kubernetes.io/last-applied-configuration; managedFields are dropped",
    "  - in every text (logs, Events, messages): bearer tokens, Vault tokens (hvs./s.), JWTs, authorization /",
    "    X-API-Key / password / token fields, and the exact values of the namespace's Secrets",
    `  - the ModelDeployment's API keys: ${
      c.apiKeysFrom === "vault"
        ? "read from Vault with your login and scrubbed as exact values"
        : "by pattern only (see Notes)"
    }`,
    `  - pii: values of DataSet columns marked pii (${c.piiColumns.length ? c.piiColumns.join(", ") : "none in this namespace"}):`,
    "    inline rows, per-column statistics and samples that list raw values, and every exact value learned from them",
    "",
    "Redaction is best effort: read the bundle before you share it.",
  ];
  if (c.notes.length > 0) lines.push("", "Notes", ...c.notes.map((n) => `  - ${n}`));
  return `${lines.join("\n")}\n`;
}

/** The zip: README.txt first, then the files in path order, every entry stamped with the report's time. */
export function zipBundle(files: ReadonlyMap<string, string>, mtime: Date): Uint8Array {
  const entries: Record<string, [Uint8Array, { mtime: Date }]> = {};
  for (const [path, text] of files) entries[path] = [strToU8(text), { mtime }];
  return zipSync(entries, { level: 6 });
}
