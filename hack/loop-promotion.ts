// `kubectl get mdep <name> -o json | npx tsx hack/loop-promotion.ts`: the closed loop's last promotion as a
// pull-request-shaped record for teams that want every model change in git (docs/gitops.md). It prints a YAML
// patch of spec.model pinned to the promoted model's URI and digest, headed by comments that say why (trigger,
// decision, test, figures) and from what (TrainingJob, DataSet, data digest, captured rows). Committing it makes
// the person's spec.model the stable model again, the same one the loop promoted (docs/loop.md).
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { stringify } from "yaml";
import { exitOnHelp } from "../bench/lib/help.js";

// biome-ignore lint/suspicious/noExplicitAny: a ModelDeployment as kubectl prints it
type Obj = Record<string, any>;

/** The record of `mdep`'s last promotion (pure); throws when the loop has promoted nothing. */
export function promotionPatch(mdep: Obj): string {
  const name = `${mdep.metadata?.namespace ?? ""}/${mdep.metadata?.name ?? ""}`;
  const loop = mdep.status?.loop ?? {};
  const p = loop.promoted;
  if (!p?.uri || !p?.digest) throw new Error(`ModelDeployment ${name} has no promotion in status.loop.promoted`);
  // The history entry of the promotion (the current iteration may since have started again or rolled back).
  const h = (loop.history ?? []).findLast((e: Obj) => e.decision === "promote" && e.modelDigest === p.digest) ?? {};
  // The figures and test are the current iteration's: shown only while that iteration is the promotion.
  const current = loop.stage === "Promoted" && loop.candidate?.digest === p.digest;
  const f = current ? (loop.figures ?? {}) : {};
  const lines = [
    `# ModelDeployment ${name}: promoted by the closed loop at ${p.at ?? h.at ?? "?"}`,
    `#   iteration ${h.iteration ?? loop.iteration ?? "?"}, trigger ${h.trigger ?? loop.trigger?.reason ?? "?"}, decision ${h.reason ?? loop.decision?.reason ?? "?"}`,
    ...(current && loop.decision?.test ? [`#   test: ${loop.decision.test}`] : []),
    ...(f.stable?.accuracy !== undefined && f.canary?.accuracy !== undefined
      ? [
          `#   live accuracy: canary ${f.canary.accuracy} (${f.canary.feedback} feedback), stable ${f.stable.accuracy} (${f.stable.feedback})`,
        ]
      : []),
    `#   trained by TrainingJob ${p.trainingJob ?? "?"} on DataSet ${p.dataSet ?? "?"}`,
    ...(loop.lineage?.modelDigest === p.digest
      ? [
          `#   data ${loop.lineage.dataDigest} (${loop.lineage.capturedRows} captured rows, ${loop.lineage.capturedVersions} versions)`,
        ]
      : []),
  ];
  return `${lines.join("\n")}\n${stringify({ spec: { model: { uri: p.uri, digest: p.digest } } })}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  exitOnHelp(import.meta.filename);
  try {
    process.stdout.write(promotionPatch(JSON.parse(readFileSync(0, "utf8")) as Obj));
  } catch (err) {
    console.error(`loop-promotion: ${(err as Error).message}`);
    process.exit(1);
  }
}
