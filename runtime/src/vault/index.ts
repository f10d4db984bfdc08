// The shared Vault client of Liftoff's workloads (DataSet prepare, TrainingJob train, ModelDeployment serve).
export { loginVaultClient, type VaultClient, type VaultClientOptions } from "./client.js";
export { vaultClientFromEnv } from "./env.js";
export { VaultError, type VaultFailureReason } from "./errors.js";
