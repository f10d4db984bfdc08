// The binary cache script's bad-input paths: each gives one clear line (no Go build is started here).
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../devcluster/cluster/config.js";

const script = join(REPO_ROOT, "hack", "build-binaries.sh");
function run(args: string[], env: Record<string, string>) {
  const res = spawnSync("bash", [script, ...args], { env: { ...process.env, ...env }, encoding: "utf8" });
  return { status: res.status, stderr: res.stderr.trim() };
}

function fakeCache(apiserverVersion: string): string {
  const cache = mkdtempSync(join(tmpdir(), "liftoff-cache-"));
  const k8s = join(cache, "k8s-v1.35.4");
  const etcd = join(cache, "etcd-v3.6.16");
  mkdirSync(k8s);
  mkdirSync(etcd);
  const fake = (path: string, out: string) => {
    writeFileSync(path, `#!/bin/sh\necho '${out}'\n`);
    chmodSync(path, 0o755);
  };
  for (const b of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]) {
    fake(join(k8s, b), apiserverVersion);
  }
  fake(join(etcd, "etcd"), "etcd Version: 3.6.16");
  return cache;
}

/** A stand-in `go` on PATH: `go build -o DIR/ PKG...` writes binaries that report the pinned versions. */
function fakeGoEnv(cache: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const bin = mkdtempSync(join(tmpdir(), "liftoff-fakego-"));
  writeFileSync(
    join(bin, "go"),
    `#!/bin/bash
if [ "$1" = env ]; then echo go0.0-fake; exit 0; fi
echo $$ >> "$LIFTOFF_CACHE/fake-go-pids"
echo "$GOMODCACHE $GOCACHE" >> "$LIFTOFF_CACHE/fake-go-caches"
out=""; pkgs=()
while [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift 2;; -ldflags) shift 2;; build) shift;; *) pkgs+=("$1"); shift;; esac; done
echo "\${pkgs[*]}" >> "$LIFTOFF_CACHE/fake-go-builds"
for pkg in "\${pkgs[@]}"; do
  case "$pkg" in *etcd*) sleep "\${FAKE_GO_SLEEP_ETCD:-0.2}";; *) sleep 0.2;; esac
  case "$pkg" in *"\${FAKE_GO_FAIL:-none}") echo "fake go: cannot build $pkg" >&2; exit 1;; esac
  case "$pkg" in *etcd*) v="etcd Version: 3.6.16"; name=server;; *) v="Kubernetes v1.35.4"; name="\${pkg##*/}";; esac
  mkdir -p "$out"; printf '#!/bin/sh\necho "%s"\n' "$v" > "$out/$name"; chmod +x "$out/$name"
done
`,
  );
  chmodSync(join(bin, "go"), 0o755);
  return { ...process.env, ...extra, LIFTOFF_CACHE: cache, PATH: `${bin}:${process.env.PATH}` };
}

/** Polls (with a deadline) until `pid` is gone or is a zombie. */
function deadWithin(pid: number, ms: number): boolean {
  const deadline = Date.now() + ms;
  for (;;) {
    let state = "";
    try {
      state = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] ?? "";
    } catch {
      return true;
    }
    if (state === "Z") return true;
    if (Date.now() > deadline) return false;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}

describe("hack/build-binaries.sh", () => {
  it("says which binaries are missing with --check", () => {
    const res = run(["--check"], { LIFTOFF_CACHE: mkdtempSync(join(tmpdir(), "liftoff-empty-")) });
    expect(res.status).toBe(1);
    expect(res.stderr).toBe(
      "build-binaries: missing in cache: etcd kube-apiserver kube-controller-manager kube-scheduler; run npm run binaries (hack/build-binaries.sh)",
    );
  });

  it("refuses a stale cache whose binaries report another version", () => {
    const res = run(["--check"], { LIFTOFF_CACHE: fakeCache("Kubernetes v1.30.0") });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(
      /stale cache: .*kube-apiserver reports 'Kubernetes v1\.30\.0', expected 'Kubernetes v1\.35\.4'; delete .* and rerun/,
    );
  });

  it("accepts a cache that reports the pinned versions and prints the folders", () => {
    const cache = fakeCache("Kubernetes v1.35.4");
    const res = spawnSync("bash", [script, "--check"], {
      env: { ...process.env, LIFTOFF_CACHE: cache },
      encoding: "utf8",
    });
    expect(res.status).toBe(0);
    expect(res.stdout.trim()).toBe(`${cache}/k8s-v1.35.4 ${cache}/etcd-v3.6.16`);
  });

  it("builds etcd beside one go build of the Kubernetes binaries and records each build's time", () => {
    const cache = mkdtempSync(join(tmpdir(), "liftoff-build-"));
    const res = spawnSync("bash", [script], { env: fakeGoEnv(cache, {}), encoding: "utf8" });
    expect(res.status).toBe(0);
    expect(res.stdout.trim()).toBe(`${cache}/k8s-v1.35.4 ${cache}/etcd-v3.6.16`);
    // etcd starts before kube-apiserver has finished: the two builds overlap.
    const lines = res.stderr.split("\n");
    const etcdStart = lines.findIndex((l) => l.startsWith("build-binaries: building etcd"));
    const apiDone = lines.findIndex((l) => l.startsWith("build-binaries: built kube-apiserver"));
    expect(etcdStart).toBeGreaterThanOrEqual(0);
    expect(etcdStart).toBeLessThan(apiDone);
    expect(res.stderr).toContain(
      "building kube-apiserver kube-controller-manager kube-scheduler (go build k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler), about 270s",
    );
    // One go build for the three Kubernetes binaries, one for etcd, both with Go's caches under LIFTOFF_CACHE.
    expect(readFileSync(join(cache, "fake-go-builds"), "utf8").trim().split("\n").sort()).toEqual([
      "go.etcd.io/etcd/server/v3",
      "k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler",
    ]);
    for (const line of readFileSync(join(cache, "fake-go-caches"), "utf8").trim().split("\n")) {
      expect(line).toBe(`${cache}/go-mod ${cache}/go-build-go0.0-fake`);
    }
    const times = readFileSync(join(cache, "build-times"), "utf8");
    for (const b of ["etcd", "kubernetes"]) expect(times).toMatch(new RegExp(`^${b} \\d+$`, "m"));
    for (const b of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]) {
      expect(existsSync(join(cache, "k8s-v1.35.4", b))).toBe(true);
    }
    // The next build's estimate is the recorded time, not the built-in one; only what is missing is built.
    writeFileSync(join(cache, "build-times"), "kubernetes 99\n");
    rmSync(join(cache, "k8s-v1.35.4", "kube-apiserver"));
    const again = spawnSync("bash", [script], { env: fakeGoEnv(cache, {}), encoding: "utf8" });
    expect(again.status).toBe(0);
    expect(again.stderr).toContain(
      "building kube-apiserver (go build k8s.io/kubernetes/cmd/kube-apiserver), about 99s",
    );
  });

  it("two builds started side by side: the second waits for the first and builds nothing twice", async () => {
    const cache = mkdtempSync(join(tmpdir(), "liftoff-build-"));
    const env = fakeGoEnv(cache, { FAKE_GO_SLEEP_ETCD: "1" });
    const runAsync = () =>
      new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const child = spawn("bash", [script], { env, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => {
          stderr += d.toString();
        });
        child.on("close", (status) => resolve({ status, stderr }));
      });
    const [a, b] = await Promise.all([runAsync(), runAsync()]);
    expect([a.status, b.status]).toEqual([0, 0]);
    expect([a.stderr, b.stderr].filter((e) => e.includes("another build is filling"))).toHaveLength(1);
    // One build of each: the waiting run found the binaries the first one made.
    expect(readFileSync(join(cache, "fake-go-builds"), "utf8").trim().split("\n")).toHaveLength(2);
  });

  it("stops the etcd build and names the log when the Kubernetes build fails", () => {
    const cache = mkdtempSync(join(tmpdir(), "liftoff-build-"));
    const res = spawnSync("bash", [script], {
      env: fakeGoEnv(cache, { FAKE_GO_FAIL: "kube-apiserver", FAKE_GO_SLEEP_ETCD: "30" }),
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(
      `building kube-apiserver kube-controller-manager kube-scheduler failed (full log: ${cache}/k8s-v1.35.4/.kubernetes.log)`,
    );
    expect(existsSync(join(cache, "etcd-v3.6.16", "etcd"))).toBe(false);
    // The fake etcd build (a 30 s sleep) was stopped with its process group, not left behind: the script returns
    // once the group is gone (a zombie may take a moment to be reaped by init, hence the short poll).
    const pids = readFileSync(join(cache, "fake-go-pids"), "utf8").trim().split("\n").map(Number);
    for (const pid of pids) expect(deadWithin(pid, 2000)).toBe(true);
  });

  it("says Go is missing instead of failing obscurely", () => {
    const res = run([], { PATH: "/usr/bin:/bin" });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/^build-binaries: Go is not installed; install Go 1\.25 or newer/);
  });
});
