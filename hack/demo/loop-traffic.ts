// Live traffic for the closed loop: penguins predicted through a ModelDeployment's Service and answered with their
// true label on :feedback under the current rule (concept-drift.ts). The local cluster has no kube-proxy, so requests
// go to the Service's ready endpoints in turn, as kube-proxy would spread them; each prediction's feedback goes to
// the pod that made it. Every failed request is kept with its reason: the loop must never cost a client one.
import type { KubeConfig } from "@kubernetes/client-node";
import { type Endpoint, readyEndpoints } from "../../devcluster/node-agent/service-endpoint.js";
import { labelOf, type Penguin, type Rule } from "./concept-drift.js";

interface TrackTally {
  rows: number;
  right: number;
}

export interface TrafficStats {
  requests: number;
  feedbackRows: number;
  /** "<what>: <why>" for every request that did not answer 200. */
  failures: string[];
  /** Rows and right predictions under the rule in force, by the track the answer came from. */
  tracks: Record<string, TrackTally>;
}

export interface Traffic {
  stats: TrafficStats;
  /** The rule the feedback labels follow from now on. */
  rule: Rule;
  stop(): Promise<void>;
}

interface Target {
  kc: KubeConfig;
  namespace: string;
  name: string;
  headers?: Record<string, string>;
}

/** The track of the pod behind an endpoint, by its Deployment's name (<name>-canary or <name>-predictor). */
const trackOf = (t: { name: string }, ep: Endpoint): "canary" | "stable" =>
  ep.pod?.startsWith(`${t.name}-canary-`) ? "canary" : "stable";

const json = (headers: Record<string, string> = {}) => ({ "content-type": "application/json", ...headers });

/** One predict of `rows` raw records and its feedback, on one endpoint; throws with the reason on a failure. */
async function predictAndFeedback(t: Target, ep: Endpoint, rows: Penguin[], rule: Rule, stats: TrafficStats) {
  const url = ep.url;
  stats.requests++;
  const res = await fetch(`${url}/v1/models/${t.name}:predict`, {
    method: "POST",
    headers: json(t.headers),
    body: JSON.stringify({ instances: rows.map((r) => r.record) }),
  });
  if (res.status !== 200) throw new Error(`predict answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  const body = (await res.json()) as { labels?: string[] };
  const id = res.headers.get("x-prediction-id") ?? "";
  const track = trackOf(t, ep);
  const tally = stats.tracks[track] ?? { rows: 0, right: 0 };
  stats.tracks[track] = tally;
  const truth = rows.map((r) => labelOf(r, rule));
  tally.rows += rows.length;
  tally.right += truth.filter((l, i) => body.labels?.[i] === l).length;
  stats.requests++;
  const fb = await fetch(`${url}/v1/models/${t.name}:feedback`, {
    method: "POST",
    headers: json(t.headers),
    body: JSON.stringify({ instances: truth.map((label, row) => ({ id, row, label })) }),
  });
  if (fb.status !== 200) throw new Error(`feedback answered ${fb.status}: ${(await fb.text()).slice(0, 200)}`);
  stats.feedbackRows += rows.length;
}

/** The Service's ready endpoints, re-read at most once a second (each read is two API calls). */
function endpointCache(t: Target): () => Promise<Endpoint[]> {
  let at = 0;
  let eps: Endpoint[] = [];
  return async () => {
    if (Date.now() - at > 1000 || eps.length === 0) {
      eps = await readyEndpoints(t.kc, t.namespace, t.name, "http");
      at = Date.now();
    }
    return eps;
  };
}

/** Traffic every `intervalMs` until stop(): `rowsPerRequest` penguins from `draw`, labelled under `rule`. */
export function startTraffic(
  t: Target,
  o: { draw: (n: number) => Penguin[]; rowsPerRequest: number; intervalMs: number; rule: Rule },
): Traffic {
  const stats: TrafficStats = { requests: 0, feedbackRows: 0, failures: [], tracks: {} };
  const endpoints = endpointCache(t);
  let stopped = false;
  const traffic: Traffic = {
    stats,
    rule: o.rule,
    stop: async () => {
      stopped = true;
      await running;
    },
  };
  const running = (async () => {
    for (let tick = 0; !stopped; tick++) {
      let eps: Endpoint[] = [];
      try {
        eps = await endpoints();
      } catch {
        // the API server did not answer: no request was sent, so none failed; try again next tick
      }
      const ep = eps[tick % Math.max(1, eps.length)];
      if (ep) {
        try {
          await predictAndFeedback(t, ep, o.draw(o.rowsPerRequest), traffic.rule, stats);
        } catch (err) {
          stats.failures.push(`${ep.pod ?? ep.url}: ${(err as Error).message}`);
        }
      }
      await new Promise((r) => setTimeout(r, o.intervalMs));
    }
  })();
  return traffic;
}

/**
 * A burst of `rows` predictions, then all their feedback: the rows are in the capture with their labels before
 * the model's live accuracy can fall (every label arrives at once), so a retrain started by that fall finds them.
 */
export async function burst(
  t: Target,
  draw: (n: number) => Penguin[],
  rows: number,
  rule: Rule,
  batch = 50,
): Promise<TrafficStats> {
  const stats: TrafficStats = { requests: 0, feedbackRows: 0, failures: [], tracks: {} };
  const eps = await readyEndpoints(t.kc, t.namespace, t.name, "http");
  const answered: { url: string; id: string; labels: string[] }[] = [];
  for (let i = 0; i * batch < rows; i++) {
    const ep = eps[i % eps.length];
    if (!ep) throw new Error(`${t.namespace}/${t.name} has no ready endpoint`);
    const penguins = draw(Math.min(batch, rows - i * batch));
    stats.requests++;
    const res = await fetch(`${ep.url}/v1/models/${t.name}:predict`, {
      method: "POST",
      headers: json(t.headers),
      body: JSON.stringify({ instances: penguins.map((p) => p.record) }),
    });
    if (res.status !== 200) throw new Error(`predict answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    await res.arrayBuffer();
    answered.push({
      url: ep.url,
      id: res.headers.get("x-prediction-id") ?? "",
      labels: penguins.map((p) => labelOf(p, rule)),
    });
  }
  for (const a of answered) {
    stats.requests++;
    const fb = await fetch(`${a.url}/v1/models/${t.name}:feedback`, {
      method: "POST",
      headers: json(t.headers),
      body: JSON.stringify({ instances: a.labels.map((label, row) => ({ id: a.id, row, label })) }),
    });
    if (fb.status !== 200) throw new Error(`feedback answered ${fb.status}: ${(await fb.text()).slice(0, 200)}`);
    stats.feedbackRows += a.labels.length;
  }
  return stats;
}
