import { describe, expect, it } from "vitest";
import { COMMANDS } from "../commands/index.js";
import { type ClusterFlags, complete, DIRECTIVE, formatAnswer, type Resolver } from "./engine.js";
import { nameOf } from "./kubectl-names.js";

/** A resolver that records what it was asked and answers from a fixed cluster. */
function fakeCluster() {
  const asked: { what: string; flags: ClusterFlags }[] = [];
  const resolver: Resolver = {
    async names(kind, flags) {
      asked.push({ what: kind, flags });
      if (kind === "TrainingSearch") return ["digits-search"];
      return kind === "TrainingJob" ? ["penguins", "penguins-2"] : kind === "ModelDeployment" ? ["penguins"] : [];
    },
    async namespaces(flags) {
      asked.push({ what: "namespaces", flags });
      return ["default", "demo"];
    },
    async contexts(flags) {
      asked.push({ what: "contexts", flags });
      return ["kind-a", "prod"];
    },
  };
  return { asked, resolver };
}

const values = async (words: string[]) => {
  const answer = await complete(words, COMMANDS, fakeCluster().resolver);
  return answer.candidates.map((c) => c.value);
};

describe("completion from the command specs", () => {
  it("offers the subcommands and their aliases by prefix, with their summaries", async () => {
    const a = await complete(["cu"], COMMANDS, fakeCluster().resolver);
    expect(a.candidates.map((c) => c.value)).toEqual(["curves"]);
    expect(a.candidates[0]?.description).toMatch(/per epoch/);
    expect(a.directive).toBe(DIRECTIVE.noFileComp);
    const all = await values([""]);
    for (const spec of COMMANDS) expect(all).toContain(spec.name);
    expect(all).toContain("get"); // tree's alias
    expect(all).not.toContain("__complete");
    // global flags before the subcommand do not count as it
    expect(await values(["-n", "demo", "dr"])).toEqual(["drift"]);
  });

  it("offers -o's formats in every spelling, and every flag of the command", async () => {
    expect(await values(["tree", "-o", ""])).toEqual(["json", "yaml", "wide"]);
    expect(await values(["tree", "--output", "y"])).toEqual(["yaml"]);
    expect(await values(["tree", "--output=j"])).toEqual(["--output=json"]);
    const flags = await values(["curves", "--"]);
    expect(flags).toEqual(expect.arrayContaining(["--kubeconfig", "--context", "--namespace", "--all-namespaces"]));
    for (const name of Object.keys(COMMANDS.find((c) => c.name === "curves")?.flags ?? {})) {
      expect(flags).toContain(`--${name}`);
    }
    expect(await values(["tree", "-"])).toEqual(expect.arrayContaining(["-n", "-A", "-o", "-h"]));
    expect(await values(["completion", ""])).toEqual(["bash", "zsh"]);
  });

  it("completes KIND/NAME: the kinds first, then the names of that kind in the line's namespace and context", async () => {
    const { asked, resolver } = fakeCluster();
    const kinds = await complete(["tree", ""], COMMANDS, resolver);
    expect(kinds.candidates.map((c) => c.value)).toEqual(["dset/", "tj/", "mdep/", "tsearch/"]);
    expect(kinds.directive & DIRECTIVE.noSpace).toBeTruthy();
    const names = await complete(["--context", "prod", "tree", "-n", "demo", "tj/pe"], COMMANDS, resolver);
    expect(names.candidates.map((c) => c.value)).toEqual(["tj/penguins", "tj/penguins-2"]);
    expect(asked.at(-1)).toEqual({ what: "TrainingJob", flags: { context: "prod", namespace: "demo" } });
    // a command with a default kind completes bare names of that kind
    expect(await values(["drift", ""])).toEqual(["penguins"]);
    // a kind the command does not take completes nothing
    expect(await values(["curves", "mdep/"])).toEqual([]);
    // curves takes a TrainingJob (bare names) or a TrainingSearch
    expect(await values(["curves", ""])).toEqual(["penguins", "penguins-2", "tj/", "tsearch/"]);
    expect(await values(["curves", "tsearch/d"])).toEqual(["tsearch/digits-search"]);
    expect(await values(["curves", "trainingsearch/"])).toEqual(["trainingsearch/digits-search"]);
    const kindOnly = await complete(["curves", "ts"], COMMANDS, resolver);
    expect(kindOnly.candidates.map((c) => c.value)).toEqual(["tsearch/"]);
    expect(kindOnly.directive & DIRECTIVE.noSpace).toBeTruthy();
    expect((await complete(["curves", "pen"], COMMANDS, resolver)).directive & DIRECTIVE.noSpace).toBeFalsy();
    expect(await values(["tree", "nope/"])).toEqual([]);
  });

  it("completes namespaces and contexts, and leaves --kubeconfig to the shell's file completion", async () => {
    const { asked, resolver } = fakeCluster();
    const ns = await complete(["--kubeconfig=/k", "tree", "-n", "d"], COMMANDS, resolver);
    expect(ns.candidates.map((c) => c.value)).toEqual(["default", "demo"]);
    expect(asked.at(-1)).toEqual({ what: "namespaces", flags: { kubeconfig: "/k" } });
    expect(await values(["--context", ""])).toEqual(["kind-a", "prod"]);
    const file = await complete(["--kubeconfig", ""], COMMANDS, resolver);
    expect(file).toEqual({ candidates: [], directive: DIRECTIVE.default });
  });

  it("answers in cobra's wire format, and reads kubectl's -o name lines", () => {
    expect(
      formatAnswer({ candidates: [{ value: "a", description: "two\nlines" }, { value: "b" }], directive: 6 }),
    ).toBe("a\ttwo lines\nb\n:6");
    expect(nameOf("trainingjob.liftoff.dev/penguins")).toBe("penguins");
  });
});
