// Applies a promote/abort/retrain edit through the API: reads the ModelDeployment, refuses to patch one that Argo CD
// or Flux manages (prints the manifest to commit instead) unless --force, prints the patch with --dry-run, patches
// with a JSON merge patch, and with --wait polls until it is Ready at the new generation.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { parseDuration } from "../cli/args.js";
import { PluginError } from "../cli/errors.js";
import { boolFlag, type Invocation, stringFlag } from "../cli/invocation.js";
import { GROUP, LIFTOFF_KINDS, parseRef, VERSION } from "../cli/kinds.js";
import type { KubeObject } from "../cli/kube.js";
import { toJson } from "../cli/terminal.js";
import { gitOpsManager } from "./gitops.js";
import { type Edit, gitSnippet } from "./patch.js";

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const KIND = LIFTOFF_KINDS.ModelDeployment;

export interface ApplyOptions {
  command: string;
  edit(m: KubeObject): Edit;
  /** Whether the edit is spec a GitOps tool owns (promote, abort) rather than a trigger annotation (retrain). */
  gitOwned: boolean;
}

function isReady(m: KubeObject): boolean {
  const ready = (m.status?.conditions ?? []).find((c: { type: string }) => c.type === "Ready");
  return ready?.status === "True" && (m.status?.observedGeneration ?? 0) >= (m.metadata.generation ?? 0);
}

export async function applyEdit(inv: Invocation, opts: ApplyOptions): Promise<number> {
  const { ref, used } = parseRef(inv.positionals, {
    command: opts.command,
    defaultKind: "ModelDeployment",
    allowed: ["ModelDeployment"],
  });
  if (inv.positionals.length > used) {
    throw new PluginError("Usage", `kubectl liftoff ${opts.command} takes one ModelDeployment`, "name one mdep/NAME");
  }
  const timeoutMs = parseDuration(stringFlag(inv.flags, "timeout") ?? "5m", "timeout");
  const kube = await inv.kube();
  const m = await kube.getLiftoff(ref.kind, ref.name);
  const edit = opts.edit(m);
  if (boolFlag(inv.flags, "dry-run")) {
    inv.term.line(
      `# kubectl patch mdep/${ref.name} -n ${kube.namespace} --type merge -p '${JSON.stringify(edit.patch)}'`,
    );
    inv.term.line(toJson(edit.patch));
    return 0;
  }
  const managed = opts.gitOwned ? gitOpsManager(m) : undefined;
  if (managed && !boolFlag(inv.flags, "force")) {
    inv.term.line(`# ${managed.tool} manages modeldeployment/${ref.name} (${managed.evidence}); commit this to Git:`);
    inv.term.line(gitSnippet(m, edit));
    throw new PluginError(
      "NotApplicable",
      `modeldeployment/${ref.name} is managed by ${managed.tool} (${managed.evidence}): a patch would be reverted at its next sync`,
      "commit the manifest printed above to Git, or pass --force to patch the cluster anyway",
    );
  }
  const api = kube.api(CustomObjectsApi);
  const patched = (await kube.call(`modeldeployment "${ref.name}" in namespace ${kube.namespace}`, () =>
    api.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: VERSION,
        namespace: kube.namespace,
        plural: KIND.plural,
        name: ref.name,
        body: edit.patch,
      },
      mergePatch,
    ),
  )) as KubeObject;
  inv.term.line(edit.done);
  if (!boolFlag(inv.flags, "wait")) return 0;
  const deadline = Date.now() + timeoutMs;
  const generation = patched.metadata.generation ?? 0;
  for (;;) {
    const now = await kube.getLiftoff(ref.kind, ref.name);
    if (isReady(now) && (now.metadata.generation ?? 0) >= generation) {
      inv.term.line(`modeldeployment/${ref.name} is Ready`);
      return 0;
    }
    if (Date.now() > deadline || inv.isStopped()) {
      throw new PluginError(
        "NotApplicable",
        `modeldeployment/${ref.name} is not Ready after ${timeoutMs / 1000}s`,
        `kubectl liftoff tree mdep/${ref.name} shows which node waits and why`,
      );
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([inv.stopped, new Promise((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
  }
}
