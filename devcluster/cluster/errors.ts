/** An expected failure of the local cluster tooling: printed as one line, without a stack trace. */
export class ClusterError extends Error {
  override name = "ClusterError";
}
