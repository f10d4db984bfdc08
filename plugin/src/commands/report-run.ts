import { existsSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PluginError } from "../cli/errors.js";
import { type Invocation, stringFlag } from "../cli/invocation.js";
import { parseRef } from "../cli/kinds.js";
import { buildBundle, zipBundle } from "../report/bundle.js";
import { collect } from "../report/collect.js";
import { defaultReportName, formatSize, parseTail } from "../report/options.js";
import { PLUGIN_VERSION } from "../version.js";

export async function run(inv: Invocation): Promise<number> {
  const { ref, used } = parseRef(inv.positionals, {
    command: "report",
    // The bundle follows the lineage of these three kinds (report/lineage.ts); a TrainingSearch is not in it yet.
    allowed: ["DataSet", "TrainingJob", "ModelDeployment"],
  });
  if (inv.positionals.length > used) {
    throw new PluginError("Usage", `unexpected argument "${inv.positionals[used]}"`, "name one object: KIND/NAME");
  }
  const tailLines = parseTail(stringFlag(inv.flags, "tail"));
  const file = stringFlag(inv.flags, "file");
  const dir = stringFlag(inv.flags, "output-dir");
  if (file !== undefined && dir !== undefined) {
    throw new PluginError("Usage", "--file and --output-dir both given", "pass one of them");
  }
  if (dir !== undefined && !(existsSync(dir) && statSync(dir).isDirectory())) {
    throw new PluginError("BadInput", `--output-dir ${dir} is not a folder`, "create it first or pass another");
  }
  const createdAt = new Date();
  const target = resolve(file ?? join(dir ?? ".", defaultReportName(ref.kind.singular, ref.name, createdAt)));

  const kube = await inv.kube();
  const collected = await collect(kube, ref, { tailLines, pluginVersion: PLUGIN_VERSION, env: inv.env });
  const files = buildBundle(collected, {
    createdAt,
    pluginVersion: PLUGIN_VERSION,
    tailLines,
    context: kube.kc.getCurrentContext(),
  });
  const zip = zipBundle(files, createdAt);
  try {
    writeFileSync(target, zip, { mode: 0o600 });
  } catch (err) {
    throw new PluginError(
      "BadInput",
      `cannot write ${target}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      "pass a writable -f FILE or --output-dir DIR",
    );
  }
  for (const n of collected.notes) inv.term.note(`note: ${n}`);
  inv.term.line(`${target} (${formatSize(zip.byteLength)}, ${files.size} files)`);
  return 0;
}
