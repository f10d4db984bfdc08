// The shared Vault client of Liftoff's workloads (DataSet prepare, TrainingJob train, ModelDeployment serve).
export { loginVaultClient, type VaultClient, type VaultKvClient } from "./client.js";
export { vaultClientFromEnv } from "./env.js";
export { VaultError } from "./errors.js";
