// What an answer through the API server's proxy means (pure): the model server's own JSON, the model server's error
// ({error, code}: runtime/src/errors.ts), or the API server's Status (no such Service, no ready endpoint, RBAC).
import { PluginError } from "../cli/errors.js";
import type { ProxyAnswer } from "./proxy.js";

interface RuntimeErrorBody {
  error: string;
  code: string;
}

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const isRuntimeError = (v: unknown): v is RuntimeErrorBody =>
  typeof v === "object" && v !== null && typeof (v as RuntimeErrorBody).error === "string";

const isStatus = (v: unknown): v is { kind: "Status"; message?: string; reason?: string } =>
  typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "Status";

export interface AnswerContext {
  /** "modeldeployment/penguins in namespace demo" */
  what: string;
  /** How the key was found, for the hint of a 401: "--key-file k.txt", "Vault secret/data/x (key keys)", "no key". */
  keySource: string;
}

/** The parsed JSON of a 2xx answer, or the PluginError that says in one line what went wrong. */
export function answerJson(a: ProxyAnswer, ctx: AnswerContext): unknown {
  const body = parse(a.body);
  if (a.status >= 200 && a.status < 300) {
    if (body === undefined) throw new PluginError("ServerError", `${ctx.what} answered with something not JSON`);
    return body;
  }
  if (isRuntimeError(body)) {
    if (a.status === 401) {
      throw new PluginError(
        "ServerError",
        `${ctx.what} refused the API key (HTTP 401 ${body.code}: ${body.error}; key from ${ctx.keySource})`,
        "pass the model's key with --key-file FILE, or log in to Vault (VAULT_ADDR, VAULT_TOKEN) as someone who may read spec.auth.apiKeys",
      );
    }
    throw new PluginError("ServerError", `${ctx.what} answered HTTP ${a.status} ${body.code}: ${body.error}`);
  }
  const message = isStatus(body) ? (body.message ?? body.reason ?? "") : a.body.trim().slice(0, 200);
  if (a.status === 503 || /no endpoints available/i.test(message)) {
    throw new PluginError(
      "NotApplicable",
      `${ctx.what} has no ready pod to answer (${message || `HTTP ${a.status}`})`,
      "kubectl liftoff tree shows why it is not ready",
    );
  }
  if (a.status === 404) {
    throw new PluginError("NotFound", `${ctx.what}: ${message || "not found"}`, "kubectl get mdep lists what exists");
  }
  if (a.status === 401 || a.status === 403) {
    throw new PluginError(
      a.status === 401 ? "NoCluster" : "Forbidden",
      `the API server refused the proxy request to ${ctx.what} (HTTP ${a.status}${message ? `: ${message}` : ""})`,
      a.status === 401
        ? "log in again or pick another --context"
        : "you need the services/proxy (predict) or pods/proxy (drift) permission in this namespace",
    );
  }
  throw new PluginError("ServerError", `${ctx.what} answered HTTP ${a.status}${message ? `: ${message}` : ""}`);
}
