// Wires the lineage tree to the API: lists (tree/load.ts), links (tree/build.ts), draws (tree/render.ts), and with
// --watch polls every 2 s until Ctrl-C, redrawing in place on a TTY and appending changed frames otherwise.

import { PluginError } from "../cli/errors.js";
import { boolFlag, type Invocation } from "../cli/invocation.js";
import { type ObjectRef, parseRef } from "../cli/kinds.js";
import type { Kube } from "../cli/kube.js";
import { toJson, toYaml } from "../cli/terminal.js";
import { buildTrees, contains, type TreeNode } from "../tree/build.js";
import { loadSnapshot } from "../tree/load.js";
import { renderForest, treeData } from "../tree/render.js";

const POLL_MS = 2000;

async function trees(kube: Kube, inv: Invocation, target: ObjectRef | undefined): Promise<TreeNode[]> {
  const namespace = inv.allNamespaces ? null : kube.namespace;
  if (target) await kube.getLiftoff(target.kind, target.name); // NotFound names the object
  const all = buildTrees(await loadSnapshot(kube, namespace));
  if (!target) return all;
  return all.filter((t) => t.namespace === kube.namespace && contains(t, target.kind.kind, target.name));
}

function frame(inv: Invocation, list: TreeNode[], named: boolean): string {
  if (inv.output === "json" || inv.output === "yaml") {
    const data = named && list.length === 1 ? treeData(list[0] as TreeNode) : { items: list.map(treeData) };
    return inv.output === "json" ? toJson(data) : toYaml(data);
  }
  if (list.length === 0) return `No Liftoff resources found${inv.allNamespaces ? "" : " in this namespace"}.`;
  return renderForest(inv.term, list, { wide: inv.output === "wide", namespaces: inv.allNamespaces }).join("\n");
}

/** What a frame shows, without the ages: a non-TTY watch prints a new frame only when this changes. */
function fingerprint(list: TreeNode[]): string {
  return JSON.stringify(list, (k, v) => (k === "age" ? undefined : v));
}

export async function run(inv: Invocation): Promise<number> {
  const target = inv.positionals.length ? parseRef(inv.positionals, { command: "tree" }) : undefined;
  if (target && inv.positionals.length > target.used) {
    throw new PluginError(
      "Usage",
      "kubectl liftoff tree takes one object",
      "name one KIND/NAME, or none for every tree",
    );
  }
  const kube = await inv.kube();
  const named = target !== undefined;
  let list = await trees(kube, inv, target?.ref);
  if (!boolFlag(inv.flags, "watch")) {
    inv.term.line(frame(inv, list, named));
    return 0;
  }
  let last = "";
  let first = true;
  while (!inv.isStopped()) {
    const print = fingerprint(list);
    if (inv.term.isTTY) {
      inv.term.write(`\u001b[2J\u001b[H${frame(inv, list, named)}\n`);
    } else if (print !== last) {
      inv.term.write(`${first ? "" : "\n"}${frame(inv, list, named)}\n`);
    }
    first = false;
    last = print;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([inv.stopped, new Promise((r) => (timer = setTimeout(r, POLL_MS)))]);
    clearTimeout(timer);
    if (inv.isStopped()) break;
    list = await trees(kube, inv, target?.ref);
  }
  return 0;
}
