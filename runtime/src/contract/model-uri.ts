// The one parser of model (and baseline) URIs: the operator decides from it what a serving pod mounts and whether
// the runtime can read the URI at all (operator/src/modeldeployment/model-source.ts); the runtime turns it into a
// file, URL or object to read (runtime/src/artifact.ts, runtime/src/storage/). Pure; each side keeps its own refusals on the typed value.

export type ModelUri =
  /** No scheme: a path (relative to the working folder on a local run). */
  | { kind: "path"; path: string }
  /** file://…: `rest` is what follows `file://` (an absolute path starts with `/`). */
  | { kind: "file"; rest: string }
  /** pvc://<claim>/<path>: either part may be empty, which the runtime refuses. */
  | { kind: "pvc"; claim: string; path: string }
  /** http:// or https:// */
  | { kind: "http"; rest: string }
  /** s3://<bucket>/<key or prefix>: either part may be empty (`s3://bucket` is the bucket's root), refused by readers. */
  | { kind: "s3"; bucket: string; key: string }
  | { kind: "unsupported" };

export interface ParsedModelUri {
  uri: string;
  /** The scheme lower-cased, or undefined for a bare path. */
  scheme: string | undefined;
  /** Whether the scheme is written in lower case, as Kubernetes-facing URIs must be. */
  lowerCaseScheme: boolean;
  location: ModelUri;
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;

export function parseModelUri(uri: string): ParsedModelUri {
  const written = SCHEME.exec(uri)?.[1];
  if (written === undefined)
    return { uri, scheme: undefined, lowerCaseScheme: true, location: { kind: "path", path: uri } };
  const scheme = written.toLowerCase();
  const rest = uri.slice(written.length + "://".length);
  const base = { uri, scheme, lowerCaseScheme: written === scheme };
  switch (scheme) {
    case "file":
      return { ...base, location: { kind: "file", rest } };
    case "pvc": {
      const slash = rest.indexOf("/");
      const claim = slash === -1 ? rest : rest.slice(0, slash);
      const path = slash === -1 ? "" : rest.slice(slash + 1);
      return { ...base, location: { kind: "pvc", claim, path } };
    }
    case "http":
    case "https":
      return { ...base, location: { kind: "http", rest } };
    case "s3": {
      const slash = rest.indexOf("/");
      const bucket = slash === -1 ? rest : rest.slice(0, slash);
      const key = slash === -1 ? "" : rest.slice(slash + 1);
      return { ...base, location: { kind: "s3", bucket, key } };
    }
    default:
      return { ...base, location: { kind: "unsupported" } };
  }
}
