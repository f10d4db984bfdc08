import { describe, expect, it } from "vitest";
import { parseLine, splitCommand } from "./args.js";
import type { CommandModule, Completion } from "./command.js";
import { ERROR_CODES, EXIT, fromKubeError, PluginError } from "./errors.js";
import { stringFlag, stringsFlag } from "./invocation.js";
import { kindOf, LIFTOFF_KINDS, type LiftoffKindName, type ObjectRef, parseRef } from "./kinds.js";
import { age, colorWanted, paint, type Style, table, visibleLength } from "./terminal.js";

function lineOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as PluginError).line();
  }
  return "no error";
}

describe("kubectl-style command lines", () => {
  it("takes global flags before and after the subcommand, in every spelling", () => {
    expect(splitCommand(["-n", "demo", "tree", "mdep/x"])).toEqual({ name: "tree", rest: ["-n", "demo", "mdep/x"] });
    expect(splitCommand(["--context=c1", "curves"])).toEqual({ name: "curves", rest: ["--context=c1"] });
    const spec = { name: "t", summary: "", usage: "", load: async () => ({}) as CommandModule };
    const { flags, positionals } = parseLine(spec, ["mdep/x", "-ojson", "--namespace=a", "-A"]);
    expect(positionals).toEqual(["mdep/x"]);
    expect(stringFlag(flags, "output")).toBe("json");
    expect(stringFlag(flags, "namespace")).toBe("a");
    expect(flags["all-namespaces"]).toBe(true);
    expect(stringsFlag({ record: ["a=1", "b=2"] }, "record")).toEqual(["a=1", "b=2"]);
    expect(() => parseLine(spec, ["--nope"])).toThrow(PluginError);
  });

  it("says what is wrong with a flag in kubectl's words", () => {
    const spec = { name: "t", summary: "", usage: "", load: async () => ({}) as CommandModule };
    expect(lineOf(() => parseLine(spec, ["mdep/x", "--colour"]))).toBe(
      "error: unknown flag: --colour; kubectl liftoff t --help lists the flags",
    );
    expect(lineOf(() => parseLine(spec, ["-x"]))).toBe(
      "error: unknown flag: -x; kubectl liftoff t --help lists the flags",
    );
    expect(lineOf(() => parseLine(undefined, ["--namespace"]))).toBe(
      "error: flag needs an argument: --namespace; kubectl liftoff --help lists the flags",
    );
  });

  it("names objects the way kubectl does, and says which kinds exist when one is unknown", () => {
    expect(kindOf("tj")).toBe(LIFTOFF_KINDS.TrainingJob);
    expect(kindOf("modeldeployments.liftoff.dev")).toBe(LIFTOFF_KINDS.ModelDeployment);
    for (const t of ["tsearch", "trainingsearch", "trainingsearches", "TrainingSearch.liftoff.dev"]) {
      expect(kindOf(t)).toBe(LIFTOFF_KINDS.TrainingSearch);
    }
    const r: ObjectRef = parseRef(["mdep", "penguins"], { command: "drift" }).ref;
    expect(r).toEqual({ kind: LIFTOFF_KINDS.ModelDeployment, name: "penguins" });
    const kind: LiftoffKindName = "TrainingJob";
    expect(parseRef(["x"], { command: "curves", defaultKind: kind }).ref.kind.short).toBe("tj");
    expect(lineOf(() => parseRef(["foo/x"], { command: "tree" }))).toMatch(
      /unknown kind "foo".*dataset \(dset\).*trainingsearch \(tsearch\)/,
    );
    expect(() => parseRef(["dset/x"], { command: "curves", allowed: ["TrainingJob"] })).toThrow(
      /does not work on dataset/,
    );
    expect(() => parseRef([], { command: "curves" })).toThrow(/needs the object's name/);
  });

  it("turns API errors into one line with a hint, never a stack", () => {
    const nf = fromKubeError({ code: 404, body: "{}" }, 'trainingjob "x" in namespace demo');
    expect(nf.code).toBe("NotFound");
    expect(nf.line()).toBe('error: trainingjob "x" in namespace demo not found; kubectl get liftoff lists what exists');
    const down = fromKubeError(
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6443"), {}),
      "x",
      "https://127.0.0.1:6443",
    );
    expect(down.code).toBe("NoCluster");
    expect(down.exitCode).toBe(EXIT.failure);
    expect(ERROR_CODES.Usage).toBe(EXIT.usage);
  });
});

describe("the terminal", () => {
  it("colours only a TTY without NO_COLOR", () => {
    expect(colorWanted({ write: () => true, isTTY: true }, {})).toBe(true);
    expect(colorWanted({ write: () => true, isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(colorWanted({ write: () => true, isTTY: false }, {})).toBe(false);
    const style: Style = "red";
    expect(paint({ color: false }, style, "x")).toBe("x");
    expect(visibleLength(paint({ color: true }, style, "abc"))).toBe(3);
  });

  it("prints kubectl's tables and ages", () => {
    expect(
      table(
        ["name", "ready"],
        [
          ["a", "True"],
          ["long-name", "False"],
        ],
      ),
    ).toBe("NAME        READY\na           True\nlong-name   False");
    const now = new Date("2026-12-06T12:00:00Z");
    expect(age("2026-12-06T11:59:30Z", now)).toBe("30s");
    expect(age("2026-12-06T09:00:00Z", now)).toBe("3h");
    expect(age("2026-12-01T12:00:00Z", now)).toBe("5d");
    const c: Completion = { values: ["bash"] };
    expect(c).toBeTruthy();
  });
});
