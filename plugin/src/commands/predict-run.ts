// `kubectl liftoff predict`: reads the records, finds the API key, posts to the Service through the API server's
// proxy and prints the predictions. The logic is in ../serve/.
import { readFile } from "node:fs/promises";
import { PluginError } from "../cli/errors.js";
import { type Invocation, stringFlag, stringsFlag } from "../cli/invocation.js";
import { LIFTOFF_KINDS, parseRef } from "../cli/kinds.js";
import { table, toJson, toYaml } from "../cli/terminal.js";
import { answerJson } from "../serve/answers.js";
import { chooseApiKey } from "../serve/api-key.js";
import { isV1Answer, predictionRows, predictionTable } from "../serve/predictions.js";
import { proxyRequest, serviceProxyPath } from "../serve/proxy.js";
import { parseRecordFlags, parseRecordsFile, type RawRecord } from "../serve/records.js";

async function readRecords(inv: Invocation): Promise<RawRecord[]> {
  const file = stringFlag(inv.flags, "filename");
  const flags = stringsFlag(inv.flags, "record");
  if (file !== undefined && flags.length > 0)
    throw new PluginError("Usage", "give either -f FILE or --record, not both", "kubectl liftoff predict --help");
  if (flags.length > 0) return parseRecordFlags(flags);
  if (file === undefined)
    throw new PluginError(
      "Usage",
      "no records to send",
      "pass -f records.json|records.csv or --record column=value,column=value",
    );
  let text: string;
  try {
    text = file === "-" ? await readStdin() : await readFile(file, "utf8");
  } catch (err) {
    throw new PluginError(
      "BadInput",
      `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})`,
      "pass a records file that exists",
    );
  }
  return parseRecordsFile(text, file === "-" ? "stdin" : file);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function run(inv: Invocation): Promise<number> {
  const { ref, used } = parseRef(inv.positionals, {
    command: "predict",
    defaultKind: "ModelDeployment",
    allowed: ["ModelDeployment"],
  });
  if (inv.positionals.length > used)
    throw new PluginError("Usage", `unexpected argument "${inv.positionals[used]}"`, "kubectl liftoff predict --help");
  const records = await readRecords(inv);
  const kube = await inv.kube();
  const mdep = await kube.getLiftoff(LIFTOFF_KINDS.ModelDeployment, ref.name);
  const key = await chooseApiKey(mdep, { keyFile: stringFlag(inv.flags, "key-file"), env: inv.env });
  const what = `modeldeployment/${ref.name} in namespace ${kube.namespace}`;
  const path = serviceProxyPath(kube.namespace, ref.name, "http", `v1/models/${ref.name}:predict`);
  const answer = await kube.call(what, () =>
    proxyRequest(kube.kc, {
      method: "POST",
      path,
      json: { instances: records },
      ...(key.key !== undefined ? { apiKey: key.key } : {}),
      timeoutMs: kube.requestTimeoutMs,
    }),
  );
  const body = answerJson(answer, { what, keySource: key.source });
  if (!isV1Answer(body)) throw new PluginError("ServerError", `${what} answered without predictions`);
  const predictionId = answer.headers["x-prediction-id"];
  if (inv.output === "json" || inv.output === "yaml") {
    const out = { predictionId: typeof predictionId === "string" ? predictionId : null, response: body };
    inv.term.line(inv.output === "json" ? toJson(out) : toYaml(out));
    return 0;
  }
  const t = predictionTable(predictionRows(records, body));
  inv.term.line(table(t.headers, t.rows));
  return 0;
}
