// One line of Vault/OpenBao's audit log (the file and socket devices write the same JSON, one entry a line) as an
// event of the access record, or nothing (pure). Only responses count: the request entry comes first and says
// nothing about the outcome. Secrets in an entry are HMACed by Vault; the path, the auth metadata Kubernetes auth
// sets (service_account_name / _namespace), the time and the headers configured with hmac=false are in clear.
import { DATAKEY_FOLDER, POD_HEADER } from "../contract/vault-audit.js";

/**
 * What happened to a version's key: read (Vault returned it); refused (denied, failed, or no such key: a shredded
 * version's key answers 404); written; deleted (soft delete, destroy, or the metadata delete that shreds it).
 */
type DataKeyOp = "read" | "refused" | "write" | "delete";

export interface DataKeyAccess {
  /** The DataSet's namespace and name, and the version's key id, from the KV path. */
  namespace: string;
  dataset: string;
  keyId: string;
  op: DataKeyOp;
  /** RFC 3339 with Vault's nanoseconds, as logged. */
  time: string;
  /** Vault's request id: the same call seen twice (a log read again) is the same event. */
  requestId: string;
  /** Kubernetes auth: the service account that logged in, and its namespace. */
  serviceAccount?: string;
  serviceAccountNamespace?: string;
  /** Any other login (a root or userpass token): Vault's display name, e.g. "token", "userpass-alice". */
  identity?: string;
  /** The X-Liftoff-Pod header: the pod the caller says it is (the service account is what Vault verified). */
  pod?: string;
}

/** The audit entry fields read here (Vault's audit.AuditResponseEntry; everything else is ignored). */
interface AuditEntry {
  type?: string;
  time?: string;
  error?: string;
  auth?: { display_name?: string; metadata?: Record<string, unknown> | null };
  request?: {
    id?: string;
    operation?: string;
    path?: string;
    headers?: Record<string, unknown>;
  };
  response?: { data?: { data?: unknown } | null };
}

const NAME = "[a-z0-9]([-a-z0-9.]*[a-z0-9])?";
/** <mount>/(data|metadata|destroy|delete)/<namespace>/liftoff-datakeys/<dataset>/<keyId>: KV v2's sub-paths. */
const KEY_PATH = new RegExp(
  `^[^/]+/(data|metadata|destroy|delete)/(${NAME})/${DATAKEY_FOLDER}/(${NAME})/([A-Za-z0-9_-]{1,128})$`,
);
/** A pod name as Kubernetes allows it (DNS subdomain); anything else in the header is not recorded. */
const POD_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function text(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function opOf(entry: AuditEntry, sub: string): DataKeyOp | undefined {
  if (entry.error) return "refused";
  const operation = entry.request?.operation;
  if (sub === "data") {
    if (operation === "read") {
      // A read of a key that does not exist (never did, or was shredded) answers 404 without an error in the entry.
      const data = entry.response?.data?.data;
      return data && typeof data === "object" ? "read" : "refused";
    }
    if (operation === "create" || operation === "update") return "write";
    if (operation === "delete") return "delete";
    return undefined;
  }
  // Deleting the metadata (every version, part 2's shredding) or destroying versions.
  if (sub === "metadata" && operation === "delete") return "delete";
  if ((sub === "destroy" || sub === "delete") && (operation === "update" || operation === "create")) return "delete";
  return undefined;
}

/** The header as Vault logs it: lower-cased name, a list of values; the first is taken. */
function podHeader(headers: Record<string, unknown> | undefined): string | undefined {
  const v = headers?.[POD_HEADER.toLowerCase()];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === "string" && POD_NAME.test(first) ? first : undefined;
}

/** The access event one audit line holds, or undefined (another path, a request entry, not JSON). */
export function parseAuditLine(line: string): DataKeyAccess | undefined {
  if (!line.includes(DATAKEY_FOLDER)) return undefined; // most lines: skip without parsing
  let entry: AuditEntry;
  try {
    entry = JSON.parse(line) as AuditEntry;
  } catch {
    return undefined;
  }
  if (entry?.type !== "response") return undefined;
  const m = KEY_PATH.exec(entry.request?.path ?? "");
  const time = text(entry.time);
  const requestId = text(entry.request?.id);
  if (!m || !time || !requestId) return undefined;
  const [, sub = "", namespace = "", , dataset = "", , keyId = ""] = m;
  const op = opOf(entry, sub);
  if (!op) return undefined;
  const meta = entry.auth?.metadata ?? {};
  const serviceAccount = text(meta.service_account_name);
  const serviceAccountNamespace = text(meta.service_account_namespace);
  const identity = serviceAccount ? undefined : text(entry.auth?.display_name);
  const pod = podHeader(entry.request?.headers);
  return {
    namespace,
    dataset,
    keyId,
    op,
    time,
    requestId,
    ...(serviceAccount ? { serviceAccount } : {}),
    ...(serviceAccountNamespace ? { serviceAccountNamespace } : {}),
    ...(identity ? { identity } : {}),
    ...(pod ? { pod } : {}),
  };
}
