// .liftoff/ holds the local cluster's state (etcd data, PKI, kubeconfig, pod folders). A layout change makes an
// older folder unusable, so the folder carries a version stamp: an older (or unstamped) one is rebuilt, a newer one
// is refused with a message, rather than failing later in some obscure way.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Bump when the layout of .liftoff/<cluster>/ changes incompatibly. 1: unstamped folders before this file. */
export const STATE_VERSION = 2;

export type StateCheck =
  | { kind: "absent" }
  | { kind: "current" }
  | { kind: "older"; found: number }
  | { kind: "newer"; found: number };

export function checkState(stateDir: string): StateCheck {
  if (!existsSync(stateDir)) return { kind: "absent" };
  const stamp = join(stateDir, "state-version");
  const found = existsSync(stamp) ? Number(readFileSync(stamp, "utf8").trim()) : 1;
  if (!Number.isInteger(found) || found < STATE_VERSION)
    return { kind: "older", found: Number.isInteger(found) ? found : 1 };
  if (found > STATE_VERSION) return { kind: "newer", found };
  return { kind: "current" };
}

export function stampState(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(join(stateDir, "state-version"), `${STATE_VERSION}\n`);
}
