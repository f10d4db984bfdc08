// The krew manifest (plugin/krew/liftoff.yaml): krew's Plugin object (apiVersion krew.googlecontainertools.github.com/v1alpha2, the only one krew v0.4.3 accepts) for kubectl-liftoff, pointing at the release
// archive and carrying its sha256. Written by `npm run plugin:release`; plugin-release.test.ts checks its shape.
import { stringify } from "yaml";

/** Where releases are published. The archive's name is fixed; the tag is plugin-v<version>. */
const RELEASE_BASE = "https://github.com/liftoff-dev/liftoff/releases/download";
const HOMEPAGE = "https://github.com/liftoff-dev/liftoff/blob/main/docs/kubectl-plugin.md";

export interface ReleasePlatform {
  os: string;
  arch: string;
  archive: string;
  sha256: string;
}

export function archiveName(os: string, arch: string): string {
  return `kubectl-liftoff-${os}-${arch}.tar.gz`;
}

export function krewManifest(version: string, platforms: readonly ReleasePlatform[]): string {
  const doc = {
    apiVersion: "krew.googlecontainertools.github.com/v1alpha2",
    kind: "Plugin",
    metadata: { name: "liftoff" },
    spec: {
      version: `v${version}`,
      homepage: HOMEPAGE,
      shortDescription: "Lineage tree, training curves, drift and canary of Liftoff ML objects",
      description: [
        "kubectl liftoff shows Liftoff's DataSets, TrainingJobs and ModelDeployments at a glance:",
        "the lineage tree from data to pods with each node's state, live training curves in the",
        "terminal (or a PNG), per-feature drift, predictions through the API server, canary",
        "promote/abort, and a redacted support bundle.",
        "",
      ].join("\n"),
      platforms: platforms.map((p) => ({
        selector: { matchLabels: { os: p.os, arch: p.arch } },
        uri: `${RELEASE_BASE}/plugin-v${version}/${p.archive}`,
        sha256: p.sha256,
        bin: "kubectl-liftoff",
      })),
    },
  };
  return `# Written by npm run plugin:release (hack/build-plugin.ts --release): the sha256 is the archive's built there.\n${stringify(doc, { lineWidth: 0 })}`;
}
