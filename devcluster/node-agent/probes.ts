// Readiness, liveness and startup probes: one check (httpGet, tcpSocket, exec), the threshold counting, and the
// kubelet's schedule for a container (startup first; readiness and liveness once it passes).
import { spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import type { V1Container, V1Probe } from "@kubernetes/client-node";

export interface ProbeResult {
  ok: boolean;
  message: string;
}

export interface ProbeContext {
  podIP: string;
  container: V1Container;
  env: Record<string, string>;
  cwd: string;
  /** Maps an exec probe's argv to a local one (image paths, `node`). */
  execArgv(command: string[]): string[];
}

/** A named port ("http") resolves through the container's ports, as in Kubernetes. */
export function resolvePort(port: number | string, container: V1Container): number | undefined {
  if (typeof port === "number") return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function probeTimeoutMs(probe: V1Probe): number {
  return (probe.timeoutSeconds ?? 1) * 1000;
}

function runProbe(probe: V1Probe, ctx: ProbeContext): Promise<ProbeResult> {
  const timeoutMs = probeTimeoutMs(probe);
  if (probe.httpGet) {
    const g = probe.httpGet;
    const port = resolvePort(g.port as number | string, ctx.container);
    if (port === undefined) return Promise.resolve({ ok: false, message: `unknown port "${g.port}"` });
    const https = g.scheme === "HTTPS";
    const host = g.host || ctx.podIP;
    const headers = Object.fromEntries((g.httpHeaders ?? []).map((h) => [h.name, h.value]));
    return new Promise((resolve) => {
      const req = (https ? httpsRequest : httpRequest)(
        { host, port, path: g.path || "/", method: "GET", headers, timeout: timeoutMs, rejectUnauthorized: false },
        (res) => {
          res.resume();
          const code = res.statusCode ?? 0;
          resolve({ ok: code >= 200 && code < 400, message: `HTTP probe failed with statuscode: ${code}` });
        },
      );
      req.on("timeout", () => req.destroy(new Error("context deadline exceeded (Client.Timeout exceeded)")));
      req.on("error", (err) =>
        resolve({ ok: false, message: `Get "http://${host}:${port}${g.path || "/"}": ${err.message}` }),
      );
      req.end();
    });
  }
  if (probe.tcpSocket) {
    const port = resolvePort(probe.tcpSocket.port as number | string, ctx.container);
    const host = probe.tcpSocket.host || ctx.podIP;
    if (port === undefined) return Promise.resolve({ ok: false, message: `unknown port "${probe.tcpSocket.port}"` });
    return new Promise((resolve) => {
      const sock = connect({ host, port, timeout: timeoutMs });
      sock.once("connect", () => {
        sock.destroy();
        resolve({ ok: true, message: "" });
      });
      sock.once("timeout", () => sock.destroy(new Error("i/o timeout")));
      sock.once("error", (err) => resolve({ ok: false, message: `dial tcp ${host}:${port}: ${err.message}` }));
    });
  }
  if (probe.exec?.command?.length) {
    const [file, ...args] = ctx.execArgv(probe.exec.command);
    return new Promise((resolve) => {
      let output = "";
      const child = spawn(file ?? "", args, { env: ctx.env, cwd: ctx.cwd, stdio: ["ignore", "pipe", "pipe"] });
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const collect = (b: Buffer) => {
        if (output.length < 10_240) output += b.toString();
      };
      child.stdout.on("data", collect);
      child.stderr.on("data", collect);
      child.once("error", (err) => {
        clearTimeout(timer);
        resolve({ ok: false, message: `exec probe failed to start: ${err.message}` });
      });
      child.once("close", (code, signal) => {
        clearTimeout(timer);
        if (signal === "SIGKILL") resolve({ ok: false, message: `command timed out after ${timeoutMs / 1000}s` });
        else resolve({ ok: code === 0, message: output.trim() || `command exited with ${code}` });
      });
    });
  }
  return Promise.resolve({ ok: false, message: "probe type not supported by the liftoff node agent (grpc?)" });
}

/** successThreshold/failureThreshold bookkeeping (pure): `record` returns the new verdict when it changes. */
export class ProbeCounter {
  private successes = 0;
  private failures = 0;

  constructor(
    private readonly successThreshold: number,
    private readonly failureThreshold: number,
    public verdict: boolean | undefined = undefined,
  ) {}

  record(ok: boolean): boolean | undefined {
    if (ok) {
      this.successes++;
      this.failures = 0;
      if (this.verdict !== true && this.successes >= this.successThreshold) {
        this.verdict = true;
        return true;
      }
    } else {
      this.failures++;
      this.successes = 0;
      if (this.verdict !== false && this.failures >= this.failureThreshold) {
        this.verdict = false;
        return false;
      }
    }
    return undefined;
  }
}

/** Runs a probe every periodSeconds after initialDelaySeconds until stopped; calls back on each result. */
export class ProbeLoop {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly probe: V1Probe,
    private readonly ctx: ProbeContext,
    private readonly onResult: (r: ProbeResult) => void,
  ) {}

  start(): void {
    this.schedule((this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(async () => {
      const result = await runProbe(this.probe, this.ctx);
      if (this.stopped) return;
      this.onResult(result);
      this.schedule((this.probe.periodSeconds ?? 10) * 1000);
    }, ms);
  }
}

/** What a container's probes tell the pod worker. */
export interface ContainerProbeHooks {
  /** A probe loop was started (the worker stops them when the container exits). */
  track(loop: ProbeLoop): void;
  event(type: "Normal" | "Warning", reason: string, message: string): void;
  /** The startup probe passed, or there is none. */
  started(): void;
  /** Readiness changed (true at once when there is no readiness probe). */
  ready(ready: boolean): void;
  /** A liveness or startup probe failed for good: stop the container so it is restarted per policy. */
  kill(probe: "liveness" | "startup", graceSeconds?: number): void;
}

/** Starts a container's probes as the kubelet schedules them. */
export function startContainerProbes(ctx: ProbeContext, hooks: ContainerProbeHooks): void {
  const c = ctx.container;
  const loop = (probe: V1Probe, onResult: (r: ProbeResult, self: ProbeLoop) => void) => {
    const l: ProbeLoop = new ProbeLoop(probe, ctx, (r) => onResult(r, l));
    hooks.track(l);
    l.start();
  };
  const afterStartup = () => {
    hooks.started();
    const readiness = c.readinessProbe;
    if (readiness) {
      const counter = new ProbeCounter(readiness.successThreshold ?? 1, readiness.failureThreshold ?? 3, false);
      loop(readiness, (r) => {
        if (!r.ok) hooks.event("Warning", "Unhealthy", `Readiness probe failed: ${r.message}`);
        const v = counter.record(r.ok);
        if (v !== undefined) hooks.ready(v);
      });
    } else {
      hooks.ready(true);
    }
    const liveness = c.livenessProbe;
    if (liveness) {
      const counter = new ProbeCounter(1, liveness.failureThreshold ?? 3, true);
      loop(liveness, (r, self) => {
        if (!r.ok) hooks.event("Warning", "Unhealthy", `Liveness probe failed: ${r.message}`);
        if (counter.record(r.ok) === false) {
          self.stop();
          hooks.kill("liveness", liveness.terminationGracePeriodSeconds);
        }
      });
    }
  };
  const startup = c.startupProbe;
  if (!startup) {
    afterStartup();
    return;
  }
  const counter = new ProbeCounter(1, startup.failureThreshold ?? 3);
  loop(startup, (r, self) => {
    if (!r.ok) hooks.event("Warning", "Unhealthy", `Startup probe failed: ${r.message}`);
    const v = counter.record(r.ok);
    if (v === true) {
      self.stop();
      afterStartup();
    } else if (v === false) {
      self.stop();
      hooks.kill("startup", startup.terminationGracePeriodSeconds);
    }
  });
}
