import { VersionApi } from "@kubernetes/client-node";
import { ASSET_NAMES } from "../chart/assets.js";
import { locateAsset } from "../cli/assets.js";
import { boolFlag, type Invocation } from "../cli/invocation.js";
import { toJson, toYaml } from "../cli/terminal.js";
import { PLUGIN_VERSION } from "../version.js";

export async function run(inv: Invocation): Promise<number> {
  const client = {
    version: PLUGIN_VERSION,
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    // Where the PNG chart's files come from (the single executable, beside the bundle, or a source checkout).
    assets: Object.fromEntries(
      await Promise.all(Object.values(ASSET_NAMES).map(async (n) => [n, (await locateAsset(n))?.from ?? "missing"])),
    ),
  };
  let server: { gitVersion: string } | undefined;
  if (!boolFlag(inv.flags, "client")) {
    const kube = await inv.kube();
    const info = await kube.call("the API server's version", () => kube.api(VersionApi).getCode());
    server = { gitVersion: info.gitVersion };
  }
  const value = { clientVersion: client, ...(server ? { serverVersion: server } : {}) };
  if (inv.output === "json") inv.term.line(toJson(value));
  else if (inv.output === "yaml") inv.term.line(toYaml(value));
  else {
    inv.term.line(`Client Version: kubectl-liftoff ${client.version} (node ${client.node}, ${client.platform})`);
    if (server) inv.term.line(`Server Version: ${server.gitVersion}`);
  }
  return 0;
}
