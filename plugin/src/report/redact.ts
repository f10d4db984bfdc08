// What a support bundle must never carry, removed before anything is written (pure): Secret values, service-account
// tokens, env values with secret-like names, bearer/Vault tokens and API keys in text, and the values of DataSet
// columns marked pii. Exact values the plugin learned (Secret data, the ModelDeployment's API keys from Vault, pii
// values from DataSets) are scrubbed wherever they appear; patterns catch the tokens it could not learn. Every removal
// is counted by class, so redactions.txt can say how much was removed without saying what.

export const REDACTED = "<redacted>";

const REDACTION_CLASSES = [
  "secret-value",
  "service-account-token",
  "api-key",
  "bearer-token",
  "vault-token",
  "credential-field",
  "env-value",
  "last-applied-configuration",
  "pii",
] as const;
export type RedactionClass = (typeof REDACTION_CLASSES)[number];

/** Values learned from the cluster (and Vault) that must not appear anywhere in the bundle. */
export interface KnownValues {
  secrets?: readonly string[];
  apiKeys?: readonly string[];
  pii?: readonly string[];
  /** Values of env vars with secret-like names (a program may print them). */
  envSecrets?: readonly string[];
}

/** Env var names whose values are treated as secret (kubectl's and most scanners' heuristic). */
const SECRET_NAME =
  /(KEY|TOKEN|SECRET|PASSW(OR)?D|PASSPHRASE|CREDENTIAL|PRIVATE|AUTH|SALT|SESSION|COOKIE|SIGNATURE|DSN|CONN(ECTION)?_?STR)/i;
/** …unless the name says the value only points at one (a file, a path, a mount) or is a setting (seconds, a role). */
const REFERENCE_NAME = /_(FILE|PATH|DIR|MOUNT|ADDR|ROLE|SECONDS|MINUTES|HOURS|MS|TTL|ENABLED)$/i;

export function looksSecret(name: string): boolean {
  return SECRET_NAME.test(name) && !REFERENCE_NAME.test(name);
}

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
/** Shorter learned values would scrub ordinary words and numbers all over the bundle. */
const MIN_EXACT = { secret: 4, pii: 3, env: 6 } as const;

interface TextRule {
  cls: RedactionClass;
  re: RegExp;
  /** Replacement; `$1`… refer to the pattern's groups. */
  to: string;
}

// Order matters: bearer tokens first, so "authorization: Bearer x" keeps "Bearer" and the field rule skips it.
const TEXT_RULES: readonly TextRule[] = [
  {
    cls: "service-account-token",
    re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
    to: REDACTED,
  },
  { cls: "bearer-token", re: /\b(Bearer)(\s+)(?!<redacted>)[A-Za-z0-9._~+/=-]+/gi, to: `$1$2${REDACTED}` },
  { cls: "vault-token", re: /\bhv[sbr]\.[A-Za-z0-9_-]{20,}/g, to: REDACTED },
  { cls: "vault-token", re: /\b[sbr]\.[A-Za-z0-9]{24}\b/g, to: REDACTED },
  {
    cls: "credential-field",
    re: /\b(authorization|proxy-authorization|x-api-key|x-vault-token|api[_-]?keys?|access[_-]?key(?:[_-]?id)?|secret[_-]?(?:access[_-]?)?key|client[_-]?secret|password|passwd|token)(["']?\s*[:=]\s*["']?)(?!<redacted>|Bearer\b|Basic\b)([^\s"',;}\]]+)/gi,
    to: `$1$2${REDACTED}`,
  },
  { cls: "credential-field", re: /\b(Basic)(\s+)(?!<redacted>)[A-Za-z0-9+/=]{8,}/g, to: `$1$2${REDACTED}` },
];

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export class Redactor {
  private readonly counts = new Map<RedactionClass, number>();
  private readonly exact: { re: RegExp; cls: RedactionClass }[];
  private piiColumns = new Set<string>();

  constructor(known: KnownValues = {}) {
    const entries: { value: string; cls: RedactionClass }[] = [];
    for (const v of known.apiKeys ?? []) if (v.length >= MIN_EXACT.secret) entries.push({ value: v, cls: "api-key" });
    for (const v of known.secrets ?? [])
      if (v.length >= MIN_EXACT.secret) entries.push({ value: v, cls: "secret-value" });
    for (const v of known.pii ?? []) if (v.length >= MIN_EXACT.pii) entries.push({ value: v, cls: "pii" });
    // Env values also hold settings ("true", "keys"): only values long enough to be a credential are scrubbed in text.
    for (const v of known.envSecrets ?? [])
      if (v.length >= MIN_EXACT.env && !/^(\d+|true|false)$/i.test(v)) entries.push({ value: v, cls: "env-value" });
    // Longest first, so a value that contains another is removed whole.
    entries.sort((a, b) => b.value.length - a.value.length);
    const seen = new Set<string>();
    this.exact = [];
    for (const e of entries) {
      if (seen.has(e.value)) continue;
      seen.add(e.value);
      this.exact.push({ re: new RegExp(escapeRe(e.value), "g"), cls: e.cls });
    }
  }

  /** Column names (of the lineage's DataSets) whose values are personal data. */
  setPiiColumns(names: Iterable<string>): void {
    this.piiColumns = new Set(names);
  }

  count(cls: RedactionClass, n = 1): void {
    if (n > 0) this.counts.set(cls, (this.counts.get(cls) ?? 0) + n);
  }

  /** Removals so far, by class (every class listed, zero included). */
  tally(): Record<RedactionClass, number> {
    return Object.fromEntries(REDACTION_CLASSES.map((c) => [c, this.counts.get(c) ?? 0])) as Record<
      RedactionClass,
      number
    >;
  }

  /** Free text (a log, an Event message): learned values first, then the token patterns. */
  text(input: string): string {
    let out = input;
    for (const { re, cls } of this.exact) {
      re.lastIndex = 0;
      out = out.replace(re, () => {
        this.count(cls);
        return REDACTED;
      });
    }
    for (const rule of TEXT_RULES) {
      out = out.replace(rule.re, (...m: string[]) => {
        this.count(rule.cls);
        return rule.to.replace(/\$(\d)/g, (_, i: string) => m[Number(i)] ?? "");
      });
    }
    return out;
  }

  /**
   * A Kubernetes object as the bundle may show it (a new object; the input is not changed): Secret data keys kept
   * with their values replaced, env values with secret-like names replaced, last-applied-configuration scrubbed the
   * same way, managedFields dropped, pii fields dropped, and every string passed through text().
   */
  object<T>(obj: T): T {
    return this.walk(this.structural(obj as Json), []) as T;
  }

  private structural(obj: Json): Json {
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return obj;
    const out: { [k: string]: Json } = structuredClone(obj);
    const meta = out.metadata as { [k: string]: Json } | undefined;
    if (meta && typeof meta === "object") {
      delete meta.managedFields;
      const ann = meta.annotations as { [k: string]: Json } | undefined;
      if (ann && typeof ann[LAST_APPLIED] === "string") {
        this.count("last-applied-configuration");
        let applied: Json;
        try {
          applied = JSON.parse(ann[LAST_APPLIED] as string) as Json;
          ann[LAST_APPLIED] = JSON.stringify(this.walk(this.structural(applied), []));
        } catch {
          ann[LAST_APPLIED] = REDACTED;
        }
      }
    }
    if (out.kind === "Secret") {
      const saToken = out.type === "kubernetes.io/service-account-token";
      for (const field of ["data", "stringData"]) {
        const data = out[field] as { [k: string]: Json } | undefined;
        if (!data || typeof data !== "object") continue;
        for (const k of Object.keys(data)) {
          data[k] = REDACTED;
          this.count(saToken ? "service-account-token" : "secret-value");
        }
      }
    }
    if (out.kind === "DataSet") this.dataSet(out);
    return out;
  }

  /** A DataSet's own pii exposure: inline rows and per-column statistics that list raw values. */
  private dataSet(ds: { [k: string]: Json }): void {
    const pii = piiColumnsOf(ds);
    if (pii.length === 0) return;
    const inline = (ds.spec as { source?: { inline?: { data?: Json } } } | undefined)?.source?.inline;
    if (inline && typeof inline.data === "string") {
      const rows = Math.max(0, inline.data.split(/\r?\n/).filter((l) => l.trim() !== "").length - 1);
      inline.data = `${REDACTED} (inline data with pii columns ${pii.join(", ")}: ${inline.data.length} bytes)`;
      this.count("pii", Math.max(1, rows * pii.length));
    }
  }

  private walk(node: Json, path: readonly string[]): Json {
    if (typeof node === "string") return this.text(node);
    if ((node as unknown) instanceof Date) return (node as unknown as Date).toISOString();
    if (node === null || typeof node !== "object") return node;
    if (Array.isArray(node)) {
      const key = path[path.length - 1];
      if (key === "env") return node.map((e) => this.walk(this.envVar(e), [...path, "[]"]));
      return node.map((v) => this.walk(v, [...path, "[]"]));
    }
    // Under status only (elsewhere "name" and friends are Kubernetes fields): a statistics or sample entry of a pii
    // column ({name: "email", categories: {...}, min: ...}) keeps only its counts.
    const inStatus = path[0] === "status";
    if (inStatus && typeof node.name === "string" && this.piiColumns.has(node.name)) {
      node = this.piiStats(node);
    }
    const out: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(node)) {
      // A record that carries a pii column ({email: "…"}): the value goes, the key stays.
      if (inStatus && this.piiColumns.has(k) && v !== null && typeof v !== "object") {
        this.count("pii");
        out[this.text(k)] = REDACTED;
        continue;
      }
      out[this.text(k)] = this.walk(v, [...path, k]);
    }
    return out;
  }

  private piiStats(node: { [k: string]: Json }): { [k: string]: Json } {
    const out: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === "name" || k === "count" || k === "nulls" || k === "type" || k === "pii") out[k] = v;
      else if (v !== null && typeof v === "object") {
        const n = Array.isArray(v) ? v.length : Object.keys(v).length;
        this.count("pii", Math.max(1, n));
        out[k] = REDACTED;
      } else {
        this.count("pii");
        out[k] = REDACTED;
      }
    }
    return out;
  }

  private envVar(e: Json): Json {
    if (e === null || typeof e !== "object" || Array.isArray(e)) return e;
    if (typeof e.name !== "string" || typeof e.value !== "string" || e.value === "") return e;
    if (!looksSecret(e.name)) return e;
    this.count("env-value");
    return { ...e, value: REDACTED };
  }
}

/** The values of env vars with secret-like names anywhere in these objects (pod specs and templates). */
export function secretEnvValues(objs: readonly unknown[]): string[] {
  const out = new Set<string>();
  const visit = (node: unknown, key: string | undefined): void => {
    if (node === null || typeof node !== "object") return;
    if (Array.isArray(node)) {
      for (const e of node) {
        const v = e as { name?: unknown; value?: unknown };
        if (key === "env" && typeof v?.name === "string" && typeof v.value === "string" && looksSecret(v.name)) {
          if (v.value !== "") out.add(v.value);
        } else visit(e, undefined);
      }
      return;
    }
    for (const [k, v] of Object.entries(node)) visit(v, k);
  };
  for (const o of objs) visit(o, undefined);
  return [...out];
}

/** Names of a DataSet's columns marked `pii: true` (operator/src/api/v1alpha1/dataset.ts, spec.schema.columns). */
export function piiColumnsOf(ds: unknown): string[] {
  const cols = (ds as { spec?: { schema?: { columns?: unknown } } } | undefined)?.spec?.schema?.columns;
  if (!Array.isArray(cols)) return [];
  return cols
    .filter((c): c is { name: string; pii: true } => c?.pii === true && typeof c?.name === "string")
    .map((c) => c.name);
}

/**
 * The raw values of a DataSet's pii columns the plugin can learn from the object itself: its inline rows (csv,
 * json or jsonl) and the category counts in status.columns.
 */
export function piiValuesOf(ds: unknown): string[] {
  const pii = new Set(piiColumnsOf(ds));
  if (pii.size === 0) return [];
  const values = new Set<string>();
  const d = ds as {
    spec?: { format?: string; source?: { inline?: { data?: unknown } } };
    status?: { columns?: { name?: string; categories?: Record<string, unknown>; min?: unknown; max?: unknown }[] };
  };
  const data = d.spec?.source?.inline?.data;
  if (typeof data === "string") {
    for (const row of inlineRows(data, d.spec?.format)) {
      for (const c of pii) {
        const v = row[c];
        if (v !== undefined && v !== null && String(v).trim() !== "") values.add(String(v).trim());
      }
    }
  }
  for (const col of d.status?.columns ?? []) {
    if (!col?.name || !pii.has(col.name)) continue;
    for (const k of Object.keys(col.categories ?? {})) values.add(k);
  }
  return [...values];
}

function inlineRows(data: string, format: string | undefined): Record<string, unknown>[] {
  const text = data.trim();
  if (format === "json" || (format === undefined && text.startsWith("["))) {
    try {
      const v = JSON.parse(text) as unknown;
      return Array.isArray(v) ? v.filter((r) => r && typeof r === "object") : [];
    } catch {
      return [];
    }
  }
  if (format === "jsonl" || format === "ndjson" || (format === undefined && text.startsWith("{"))) {
    return text
      .split(/\r?\n/)
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      })
      .filter((r) => r && typeof r === "object");
  }
  const [header, ...lines] = text.split(/\r?\n/);
  const names = splitCsv(header ?? "");
  return lines.map((l) => Object.fromEntries(splitCsv(l).map((v, i) => [names[i] ?? `${i}`, v])));
}

/** One CSV line's fields (quotes and doubled quotes; enough for inline demo data). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out.map((v) => v.trim());
}

/** redactions.txt: how many values of each class were removed, never the values. */
export function redactionsText(tally: Record<RedactionClass, number>): string {
  const width = Math.max(...REDACTION_CLASSES.map((c) => c.length));
  const lines = REDACTION_CLASSES.map((c) => `${c.padEnd(width)}  ${tally[c]}`);
  const total = REDACTION_CLASSES.reduce((s, c) => s + tally[c], 0);
  return [
    "Values removed from this bundle, by class (the values themselves are never written).",
    "",
    ...lines,
    "",
    `${"total".padEnd(width)}  ${total}`,
    "",
  ].join("\n");
}
