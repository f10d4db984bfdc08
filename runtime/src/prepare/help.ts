/** `prepare --help`, in a module of its own so that help loads neither DuckDB nor the pipeline. */
export const PREPARE_HELP = `usage: liftoff-runtime prepare --spec <DataSet manifest> --out <dir> [flags]

  --spec <file>         DataSet manifest (YAML or JSON); else LIFTOFF_DATASET_SPEC holds the spec as JSON
  --out <dir>           output folder: versions are written to <dir>/<digest>/ (LIFTOFF_PREPARE_OUT)
  --source-root <dir>   where source.pvc's claim is mounted (LIFTOFF_SOURCE_ROOT, default .)
  --scratch <dir>       private working space (LIFTOFF_SCRATCH, default the system temp folder)
  --delete              shred every version under --out instead (the DataSet's finalizer)
  --prune               shred the versions past spec.retention instead (LIFTOFF_DATASET_SPEC), publishing nothing

Vault (hashPII salts, postgres DSN, encryption keys): LIFTOFF_VAULT_ADDR, _CACERT, _ROLE, _AUTH_MOUNT, _TOKEN_FILE.
Limits: LIFTOFF_MEMORY_LIMIT (bytes; DuckDB gets 60%), LIFTOFF_CPU_LIMIT (cores; DuckDB threads).
source.captured: LIFTOFF_CAPTURED_SOURCE, JSON {"modelDeployment", "uri", "root"}: root is the capture's folder
(or its s3:// URI) that the ModelDeployment's pods write (the operator resolves it from spec.capture.uri).
Versions in use, kept beyond spec.retention / retainVersions: LIFTOFF_KEEP_VERSIONS (hex digests, comma-separated).
Encryption: each version's wrapped data key goes to Vault KV at secret/data/<ns>/liftoff-datakeys/<name>/<keyId>,
LIFTOFF_DATASET=<ns>/<name> says which; shredding (--delete, --prune, retention) destroys it before the files.
Egress: an http source may reach only public addresses unless LIFTOFF_EGRESS_ALLOW (CIDRs, host names, .suffixes)
opens more (the operator sets it from --egress-allow).`;
