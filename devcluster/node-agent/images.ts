// Image → local program map: the agent "pulls" an image by finding it here (pure).
// Like Docker, a pod's `command` replaces the image entrypoint and `args` replaces its default arguments.
import { dirname, join } from "node:path";

export interface LocalImage {
  /** Matches `repository` or `repository:tag` / `@digest`; a trailing `*` matches any tag. */
  pattern: string;
  entrypoint: string[];
  cmd: string[];
  /** Image paths (e.g. "/app") that live in a host folder; argv entries under them are rewritten. */
  paths: Record<string, string>;
  /** The image's own ENV (Docker's): under the pod's env, over the node's defaults (PATH). */
  env?: Record<string, string>;
}

export const RUNTIME_IMAGE = "ghcr.io/liftoff-dev/liftoff-runtime";
export const TESTBOX_IMAGE = "ghcr.io/liftoff-dev/liftoff-testbox";
export const OPERATOR_IMAGE = "ghcr.io/liftoff-dev/liftoff-operator";
const PYTORCH_IMAGES = ["ghcr.io/liftoff-dev/liftoff-pytorch", "ghcr.io/liftoff-dev/liftoff-pytorch-cuda"];

/**
 * The PyTorch image's ENV: the runtime with the pytorch venv's Python first on PATH (hack/pytorch-venv.sh: torch,
 * pyarrow) and the repository's liftoff package importable. `python` is that venv's, or undefined when it is not
 * built (the workers then fail saying torch is missing, as a wrong image would).
 */
function pytorchImageEnv(repoRoot: string, python: string | undefined): Record<string, string> {
  const base = process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin";
  return {
    ...(python ? { PATH: `${dirname(python)}:${base}`, LIFTOFF_PYTHON: python } : {}),
    PYTHONPATH: join(repoRoot, "python"),
  };
}

export function defaultImages(repoRoot: string, pytorchPython?: string): LocalImage[] {
  return [
    {
      // The Liftoff runtime: `node /app/dist/main.js <prepare|train|serve>`, /app being runtime/ in this repo.
      pattern: `${RUNTIME_IMAGE}:*`,
      entrypoint: ["node", "/app/dist/main.js"],
      cmd: [],
      paths: { "/app": join(repoRoot, "runtime") },
    },
    {
      // The Liftoff operator (config/manager): `node /app/dist/main.js`, /app being operator/ (npm run build).
      pattern: `${OPERATOR_IMAGE}:*`,
      entrypoint: ["node", "/app/dist/main.js"],
      cmd: [],
      paths: { "/app": join(repoRoot, "operator") },
    },
    {
      // A tiny test program (serve, exit with a code, crash, read/write files); see testbox/testbox.mjs.
      pattern: `${TESTBOX_IMAGE}:*`,
      entrypoint: ["node", "/testbox/testbox.mjs"],
      cmd: ["serve"],
      paths: { "/testbox": join(repoRoot, "devcluster", "node-agent", "testbox") },
    },
    // The Liftoff PyTorch images (runtime/Dockerfile.pytorch, -cuda): the runtime, whose `train` runs torchrun.
    // CUDA or not, the venv's torch wheel runs on the CPU here.
    ...PYTORCH_IMAGES.map((repo) => ({
      pattern: `${repo}:*`,
      entrypoint: ["node", "/app/dist/main.js"],
      cmd: [],
      paths: { "/app": join(repoRoot, "runtime") },
      env: pytorchImageEnv(repoRoot, pytorchPython),
    })),
  ];
}

/** Strips a registry default (docker.io/library/) so "busybox" and "docker.io/library/busybox" compare equal. */
function normalize(ref: string): string {
  return ref.replace(/^docker\.io\/(library\/)?/, "");
}

export function findImage(images: LocalImage[], ref: string): LocalImage | undefined {
  const want = normalize(ref);
  const repo = want.replace(/@.*$/, "").replace(/:[^/:]*$/, "");
  return images.find((img) => {
    const pattern = normalize(img.pattern);
    if (pattern.endsWith(":*")) return repo === pattern.slice(0, -2);
    return want === pattern || (!pattern.includes(":") && repo === pattern);
  });
}

/** The argv to run: Docker's entrypoint/cmd rules, `node` → this Node, image paths → host paths. */
export function buildArgv(
  image: LocalImage,
  container: { command?: string[] | undefined; args?: string[] | undefined },
  nodeBinary: string,
): string[] {
  const command = container.command?.length ? container.command : image.entrypoint;
  const args = container.args?.length ? container.args : container.command?.length ? [] : image.cmd;
  const argv = [...command, ...args].map((a) => translatePath(image, a));
  if (argv[0] === "node" || argv[0] === "/usr/local/bin/node" || argv[0] === "/usr/bin/node") argv[0] = nodeBinary;
  return argv;
}

export function translatePath(image: LocalImage, arg: string): string {
  for (const [inImage, onHost] of Object.entries(image.paths)) {
    if (arg === inImage) return onHost;
    if (arg.startsWith(`${inImage}/`)) return onHost + arg.slice(inImage.length);
  }
  return arg;
}
