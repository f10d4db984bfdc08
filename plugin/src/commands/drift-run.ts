// `kubectl liftoff drift`: the ready pods' GET /monitoring through the API server's pods proxy, merged and drawn.
// The logic is in ../serve/.
import { type PodSnapshot, parseSnapshot } from "../../../operator/src/modeldeployment/monitoring/snapshot.js";
import { LABEL_MDEP, LABEL_TRACK, RUNTIME_PORT } from "../../../operator/src/modeldeployment/names.js";
import { fromKubeError, PluginError } from "../cli/errors.js";
import { type Invocation, stringFlag } from "../cli/invocation.js";
import { LIFTOFF_KINDS, parseRef } from "../cli/kinds.js";
import { toJson, toYaml } from "../cli/terminal.js";
import { answerJson } from "../serve/answers.js";
import { chooseApiKey } from "../serve/api-key.js";
import { driftReport } from "../serve/drift-report.js";
import { driftLines } from "../serve/drift-view.js";
import { podProxyPath, proxyRequest } from "../serve/proxy.js";

interface Pod {
  metadata?: { name?: string; deletionTimestamp?: string };
  status?: { conditions?: { type: string; status: string }[] };
}

const isReady = (p: Pod) =>
  p.metadata?.deletionTimestamp === undefined &&
  (p.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

export async function run(inv: Invocation): Promise<number> {
  const { ref, used } = parseRef(inv.positionals, {
    command: "drift",
    defaultKind: "ModelDeployment",
    allowed: ["ModelDeployment"],
  });
  if (inv.positionals.length > used)
    throw new PluginError("Usage", `unexpected argument "${inv.positionals[used]}"`, "kubectl liftoff drift --help");
  const track = stringFlag(inv.flags, "track") ?? "stable";
  if (track !== "stable" && track !== "canary")
    throw new PluginError(
      "Usage",
      `--track ${track} is neither stable nor canary`,
      "pass --track stable or --track canary",
    );
  const kube = await inv.kube();
  const mdep = await kube.getLiftoff(LIFTOFF_KINDS.ModelDeployment, ref.name);
  const what = `modeldeployment/${ref.name} in namespace ${kube.namespace}`;
  const monitoring = mdep.spec?.monitoring as { drift?: { threshold?: number }; feedback?: boolean } | undefined;
  if (monitoring === undefined) {
    throw new PluginError(
      "NoMonitoring",
      `${what} has no monitoring (spec.monitoring is not set)`,
      "add spec.monitoring.drift (and feedback: true) to the ModelDeployment: docs/monitoring.md",
    );
  }
  const key = await chooseApiKey(mdep, { keyFile: stringFlag(inv.flags, "key-file"), env: inv.env });
  // A plain GET (no CoreV1Api: its generated client would double the bundle for one list call).
  const podsWhat = `the pods of ${what}`;
  const selector = encodeURIComponent(`${LABEL_MDEP}=${ref.name},${LABEL_TRACK}=${track}`);
  const list = await kube.call(podsWhat, () =>
    proxyRequest(kube.kc, {
      method: "GET",
      path: `/api/v1/namespaces/${encodeURIComponent(kube.namespace)}/pods?labelSelector=${selector}`,
      timeoutMs: kube.requestTimeoutMs,
    }),
  );
  if (list.status !== 200) throw fromKubeError({ code: list.status, body: list.body }, podsWhat, kube.server);
  const pods = JSON.parse(list.body) as { items?: Pod[] };
  const ready = (pods.items ?? []).filter(isReady);
  if (ready.length === 0) {
    throw new PluginError(
      "NoMonitoring",
      `${what} has no ready ${track} pod to read the figures from`,
      "kubectl liftoff tree shows why",
    );
  }
  const snaps: PodSnapshot[] = [];
  for (const pod of ready) {
    const name = pod.metadata?.name ?? "";
    const podWhat = `pod ${name} of ${what}`;
    const answer = await kube.call(podWhat, () =>
      proxyRequest(kube.kc, {
        method: "GET",
        path: podProxyPath(kube.namespace, name, RUNTIME_PORT, "monitoring"),
        ...(key.key !== undefined ? { apiKey: key.key } : {}),
        timeoutMs: kube.requestTimeoutMs,
      }),
    );
    const snap = parseSnapshot(answerJson(answer, { what: podWhat, keySource: key.source }));
    if (typeof snap === "string") inv.term.note(`warning: ${podWhat}: ${snap}; left out`);
    else snaps.push(snap);
  }
  if (snaps.length === 0)
    throw new PluginError(
      "NoMonitoring",
      `no pod of ${what} sent usable figures`,
      "kubectl liftoff report collects the pod logs",
    );
  const threshold = monitoring.drift ? (monitoring.drift.threshold ?? 0.2) : undefined;
  const report = driftReport(snaps, threshold);
  if (inv.output === "json" || inv.output === "yaml") {
    const out = { modelDeployment: ref.name, namespace: kube.namespace, track, ...report };
    inv.term.line(inv.output === "json" ? toJson(out) : toYaml(out));
    return 0;
  }
  for (const l of driftLines(report, {
    what,
    asked: ready.length,
    wide: inv.output === "wide",
    feedbackOn: monitoring.feedback === true,
  }))
    inv.term.line(l);
  return 0;
}
