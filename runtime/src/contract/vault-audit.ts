// What the runtime puts in its Vault requests for the access record, and where a version's data key lives: the
// operator's audit-log reader (operator/src/access/) and the devcluster's bootstrap spell them from here.

/**
 * Request header naming the pod that makes a Vault call. Vault's audit log records only the headers configured at
 * sys/config/auditing/request-headers/<name> (with hmac=false, in clear); the login identity says which service
 * account, this says which of its pods.
 */
export const POD_HEADER = "X-Liftoff-Pod";

/** The folder under a namespace's KV v2 data path holding each DataSet version's wrapped data key. */
export const DATAKEY_FOLDER = "liftoff-datakeys";
