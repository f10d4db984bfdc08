// The reasons a pod's Vault access fails with. The runtime puts one first in its termination message and report
// ("VaultSealed: …"); the operator copies it into the condition's reason (operator/src/reasons.ts), so both sides
// spell them from here.
export const VaultReason = {
  VaultUnreachable: "VaultUnreachable",
  VaultSealed: "VaultSealed",
  VaultPermissionDenied: "VaultPermissionDenied",
  SecretNotFound: "SecretNotFound",
  /** A DataSet version's data key is gone from the key store (runtime/src/crypto/version-keys.ts): shredded. */
  DataKeyShredded: "DataKeyShredded",
} as const;

export type VaultFailureReason = (typeof VaultReason)[keyof typeof VaultReason];

export const VAULT_REASONS: readonly VaultFailureReason[] = Object.values(VaultReason);
