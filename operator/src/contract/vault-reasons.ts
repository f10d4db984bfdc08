// Copy of runtime/src/contract/vault-reasons.ts, written by `npm run gen`; edit that file, not this one.
// The reasons a pod's Vault access fails with. The runtime puts one first in its termination message and report
// ("VaultSealed: …"); the operator copies it into the condition's reason (operator/src/reasons.ts), so both sides
// spell them from here.
export const VaultReason = {
  VaultUnreachable: "VaultUnreachable",
  VaultSealed: "VaultSealed",
  VaultPermissionDenied: "VaultPermissionDenied",
  SecretNotFound: "SecretNotFound",
} as const;

export type VaultFailureReason = (typeof VaultReason)[keyof typeof VaultReason];

export const VAULT_REASONS: readonly VaultFailureReason[] = Object.values(VaultReason);
