// Draws lineage trees as lines, like `kubectl argo rollouts get rollout` and `crossplane beta trace`: a summary line
// naming the failing node (reason, message, fix hint) first, then a table whose NAME column carries the box-drawing
// tree. Pure: colour only through paint().
import { paint, type Style, type Terminal, table } from "../cli/terminal.js";
import { type TreeNode, walk, worstNode } from "./build.js";
import { type NodeState, SYMBOL } from "./state.js";

const STYLE: Readonly<Record<NodeState, Style>> = {
  Ready: "green",
  Stopped: "gray",
  Progressing: "cyan",
  Reconciling: "cyan",
  Unknown: "gray",
  Drifted: "yellow",
  Degraded: "yellow",
  Stalled: "red",
  Failed: "red",
  Missing: "red",
};

export interface RenderOptions {
  wide?: boolean;
  /** Show the NAMESPACE column (-A). */
  namespaces?: boolean;
}

const ref = (n: TreeNode) => `${n.kind.toLowerCase()}/${n.name}`;

/** The line above a tree: the failing (or waiting) node with its reason, message and hint, or that all is Ready. */
function summaryLine(term: Pick<Terminal, "color">, tree: TreeNode): string {
  const w = worstNode(tree);
  if (!w) {
    const nodes = walk(tree);
    const stopped = nodes.filter((n) => n.state === "Stopped").length;
    const also = stopped ? ` (${stopped} stopped early)` : "";
    return `${paint(term, "green", SYMBOL.Ready)} ${ref(tree)}: all ${nodes.length} nodes Ready${also}`;
  }
  const what = [w.reason ?? w.state, w.message].filter(Boolean).join(" — ");
  const hint = w.hint ? ` (hint: ${w.hint})` : "";
  return `${paint(term, STYLE[w.state], SYMBOL[w.state])} ${ref(w)}: ${what}${hint}`;
}

interface Row {
  prefix: string;
  node: TreeNode;
}

function rows(n: TreeNode, prefix: string, childPrefix: string, out: Row[]): Row[] {
  out.push({ prefix, node: n });
  n.children.forEach((c, i) => {
    const last = i === n.children.length - 1;
    rows(c, `${childPrefix}${last ? "└── " : "├── "}`, `${childPrefix}${last ? "    " : "│   "}`, out);
  });
  return out;
}

/** One tree: its summary line, a blank line and the table. */
export function renderTree(term: Pick<Terminal, "color">, tree: TreeNode, opts: RenderOptions = {}): string[] {
  return [summaryLine(term, tree), "", ...renderTable(term, [tree], opts)];
}

/** The table of one or more trees (one header), each node on its own row. */
function renderTable(term: Pick<Terminal, "color">, trees: readonly TreeNode[], opts: RenderOptions = {}): string[] {
  const headers = [
    ...(opts.namespaces ? ["namespace"] : []),
    "name",
    "state",
    "digest",
    "age",
    ...(opts.wide ? ["uri", "node", "ip"] : []),
    "info",
  ];
  const body = trees
    .flatMap((t) => rows(t, "", "", []))
    .map(({ prefix, node: n }) => {
      const state = paint(term, STYLE[n.state], `${SYMBOL[n.state]} ${n.state}`);
      const info = [n.state !== "Ready" && n.reason ? n.reason : undefined, n.info].filter(Boolean).join(": ");
      return [
        ...(opts.namespaces ? [n.namespace] : []),
        `${prefix}${ref(n)}`,
        state,
        n.digest ?? "",
        n.age,
        ...(opts.wide ? [n.uri ?? "", n.node ?? "", n.ip ?? ""] : []),
        info,
      ];
    });
  return table(headers, body).split("\n");
}

/** Every tree of a namespace (or of all): a summary line per tree that is not all Ready, then one table. */
export function renderForest(
  term: Pick<Terminal, "color">,
  trees: readonly TreeNode[],
  opts: RenderOptions = {},
): string[] {
  if (trees.length === 1) return renderTree(term, trees[0] as TreeNode, opts);
  const summaries = trees.map((t) => summaryLine(term, t));
  return [...summaries, "", ...renderTable(term, trees, opts)];
}

/** -o json|yaml: the nodes as data, without empty fields. */
export function treeData(tree: TreeNode): Record<string, unknown> {
  const { children, ...rest } = tree;
  return { ...rest, children: children.map(treeData) };
}
