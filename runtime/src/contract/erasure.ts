// What the erase pod (`liftoff-runtime erase`) gets from the operator and reports back: both sides spell it here.

/** LIFTOFF_ERASURE: the request's name and where the subjects' keys are (a Vault reference, never the keys). */
export interface ErasureEnv {
  request: string;
  subjects: { path: string; key: string };
}

/** The `succeeded` report's data: the record the ErasureRequest's status keeps (digests are sha256:<hex>). */
export interface ErasureOutcome {
  /** Versions whose subject index matched, with the rows matched. */
  found: { digest: string; rows: number }[];
  /** Each matched version and the version written without the rows (rows: what the new one holds). */
  rewritten: { from: string; to: string; rows: number }[];
  /** Matched versions deleted once their rewrite was published (keyId: the data key destroyed, where one was). */
  shredded: { digest: string; keyId?: string }[];
  /** Versions with no subject index (prepared before spec.privacy was set): they could not be checked. */
  notIndexed: string[];
}
