// Why torchrun ended badly, from the tail of its log (pure): a peer lost (a worker killed, its pod deleted, the
// network between them cut) can pass on the next attempt, so the worker exits 1 and the group restarts; anything
// else is the script's own error, which the same code and data would raise again, so the run fails at once with
// the script's last lines.

/** What the collective libraries print when the other end went away (gloo, NCCL, the c10d store). */
const PEER_LOST = [
  /Connection closed by peer/i,
  /Connection reset by peer/i,
  /Broken pipe/i,
  /ECONNRESET|ECONNREFUSED/,
  /Gloo connectFullMesh failed/i,
  /NCCL (communicator was aborted|error.*remote process)/i,
  /DistNetworkError|DistStoreError/,
  /timed out.*(rendezvous|store|connect)/i,
  /Socket Timeout/i,
  /Signals\.SIGKILL|exitcode\s*:\s*-9\b/,
];

export type TorchrunFailure = { kind: "peerLost"; message: string } | { kind: "script"; message: string };

/** torchrun's own line once a worker process has died: what follows is its report, not the script's words. */
const TORCHRUN_EPILOGUE = /failed \(exitcode: -?\d+\) local_rank/;

/**
 * The last lines worth showing: the script's own exception and what led to it — before torchrun's epilogue (its
 * ChildFailedError traceback), without the `[rankN]:` prefixes and banners.
 */
export function lastLines(lines: readonly string[], max = 12): string {
  const cut = lines.findIndex((l) => TORCHRUN_EPILOGUE.test(l));
  const kept = (cut >= 0 ? lines.slice(0, cut) : lines)
    .map((l) => l.replace(/^\[rank\d+\]:\s?/, ""))
    .filter((l) => l.trim() !== "" && !/^[=*-]{10,}$/.test(l.trim()));
  const at = kept.findLastIndex((l) => l.startsWith("Traceback (most recent call last)"));
  const from = at >= 0 ? kept.slice(at) : kept;
  // The exception line is what says what to fix: keep it and what leads to it within `max`.
  return from.slice(-max).join("\n");
}

export function classifyFailure(
  lines: readonly string[],
  exitCode: number | null,
  signal: string | null,
): TorchrunFailure {
  const tail = lines.slice(-200).join("\n");
  if (signal !== null || PEER_LOST.some((re) => re.test(tail))) {
    return {
      kind: "peerLost",
      message: `a worker of the group was lost (torchrun ${signal ? `ended by ${signal}` : `exited ${exitCode}`}): ${lastLines(lines, 4)}`,
    };
  }
  return { kind: "script", message: `the script failed (torchrun exited ${exitCode}):\n${lastLines(lines)}` };
}
