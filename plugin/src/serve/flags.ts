// The flag predict and drift share (specs only: nothing here loads the Kubernetes client).
import type { FlagSpec } from "../cli/command.js";

export const KEY_FILE_FLAG: FlagSpec = {
  type: "string",
  valueName: "FILE",
  description: "Read the API key from FILE instead of Vault.",
  complete: "file",
};
