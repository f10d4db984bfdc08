// kubectl's conventions, end to end through main(): --kubeconfig, --context, -n, -A, -o, colour, exit codes. No
// cluster: the kubeconfig points at a port nothing listens on, which is the "no cluster reachable" case.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { COMMANDS, findCommand } from "../commands/index.js";
import { main } from "../main.js";
import { parseLine } from "./args.js";
import { EXIT } from "./errors.js";
import { createInvocation } from "./invocation.js";
import { terminal } from "./terminal.js";

const dir = mkdtempSync(join(tmpdir(), "liftoff-conventions-"));
const KUBECONFIG = join(dir, "kubeconfig");
writeFileSync(
  KUBECONFIG,
  `apiVersion: v1
kind: Config
current-context: dead
clusters:
  - name: dead
    cluster: { server: "https://127.0.0.1:1" }
contexts:
  - name: dead
    context: { cluster: dead, user: u, namespace: ctxns }
  - name: other
    context: { cluster: dead, user: u }
users:
  - name: u
    user: { token: t }
`,
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for escape sequences is the point
const ESCAPE = /\u001b/;

let out = "";
let err = "";
beforeEach(() => {
  out = "";
  err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((s) => {
    out += String(s);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    err += String(s);
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

const run = (argv: string[], env: NodeJS.ProcessEnv = { NO_COLOR: "1" }) => main(argv, env);

describe("kubectl's conventions", () => {
  it("version: exit 0, and -o json / -o yaml print the same machine-readable object", async () => {
    expect(await run(["version", "--client", "-o", "json"])).toBe(EXIT.ok);
    const json = JSON.parse(out) as { clientVersion: { version: string } };
    expect(json.clientVersion.version).toMatch(/^\d+\.\d+\.\d+/);
    out = "";
    expect(await run(["version", "--client", "-oyaml"])).toBe(EXIT.ok);
    expect(parse(out)).toEqual(json);
    expect(err).toBe("");
  });

  it("-o bad, an unknown flag or command: one line on stderr, exit 2, nothing on stdout", async () => {
    for (const argv of [
      ["version", "--client", "-o", "bad"],
      ["version", "--nope"],
      ["nope"],
      ["completion", "fish"],
    ]) {
      err = "";
      expect(await run(argv)).toBe(EXIT.usage);
      expect(err).toMatch(/^error: [^\n]+; [^\n]+\n$/);
    }
    expect(out).toBe("");
  });

  it("--kubeconfig at a server nobody answers: one line naming it, exit 1, no stack", async () => {
    expect(await run(["version", "--kubeconfig", KUBECONFIG, "--request-timeout", "5s"])).toBe(EXIT.failure);
    expect(err).toMatch(/^error: no cluster reachable at https:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\); [^\n]+\n$/);
    err = "";
    expect(await run(["version", "--kubeconfig", join(dir, "missing")])).toBe(EXIT.failure);
    expect(err).toBe(
      `error: kubeconfig ${join(dir, "missing")} does not exist; pass a kubeconfig file that exists to --kubeconfig\n`,
    );
  });

  it("--context that the kubeconfig lacks: one line listing the ones it has, exit 1", async () => {
    expect(await run(["version", "--kubeconfig", KUBECONFIG, "--context", "nope"])).toBe(EXIT.failure);
    expect(err).toBe('error: context "nope" is not in the kubeconfig; use one of: dead, other\n');
  });

  it("-n over the context's namespace over default; -A across namespaces", async () => {
    const spec = findCommand("tree");
    if (!spec) throw new Error("no tree command");
    const ns = async (argv: string[]) => {
      const { positionals, flags } = parseLine(spec, argv);
      return (await createInvocation(spec, positionals, flags, terminal(process.stdout, process.stderr, {}), {}).kube())
        .namespace;
    };
    expect(await ns(["--kubeconfig", KUBECONFIG])).toBe("ctxns");
    expect(await ns(["--kubeconfig", KUBECONFIG, "-n", "given"])).toBe("given");
    expect(await ns([`--kubeconfig=${KUBECONFIG}`, "--context", "other"])).toBe("default");
    const { positionals, flags } = parseLine(spec, ["-A"]);
    expect(
      createInvocation(spec, positionals, flags, terminal(process.stdout, process.stderr, {}), {}).allNamespaces,
    ).toBe(true);
  });

  it("no escape codes when stdout is not a TTY or NO_COLOR is set", async () => {
    const tty = process.stdout.isTTY;
    try {
      for (const [isTTY, env] of [
        [false, {}],
        [true, { NO_COLOR: "1" }],
      ] as const) {
        Object.defineProperty(process.stdout, "isTTY", { value: isTTY, configurable: true });
        out = "";
        err = "";
        await run(["--help"], env);
        for (const c of COMMANDS) await run([c.name, "--help"], env);
        await run(["version", "--kubeconfig", KUBECONFIG, "--context", "nope"], env);
        expect(out).toContain("Usage:");
        expect(ESCAPE.test(out + err)).toBe(false);
        expect(terminal(process.stdout, process.stderr, env).color).toBe(false);
      }
    } finally {
      Object.defineProperty(process.stdout, "isTTY", { value: tty, configurable: true });
    }
  });
});
