import { describe, expect, it } from "vitest";
import { lintYaml } from "./yaml.js";

describe("lintYaml", () => {
  it.each([
    ["a mapping", "a: 1\nb: [u, v]\n"],
    ["several documents", "kind: A\n---\nkind: B\n"],
    ["quoted yes/no/on/off", "a: \"on\"\nb: 'no'\nc: true\n"],
    ["words that only start like booleans", "a: only\nb: nothing\nc: offset\n"],
    ["an empty file", ""],
  ])("accepts %s", (_name, text) => {
    expect(lintYaml(text)).toEqual([]);
  });

  it.each([
    ["a key given twice", "a: 1\nb: 2\na: 3\n", 3, /unique/],
    ["a key given twice in a later document", "a: 1\n---\nb: 1\nb: 2\n", 4, /unique/],
    ["a broken indent", "a:\n  b: 1\n c: 2\n", 3, /./],
    ["a tab as indentation", "a:\n\tb: 1\n", 2, /./],
    ["a plain y, a boolean to YAML 1.1", "a: [x, y]\n", 1, /YAML 1\.1/],
    ["a plain on", "a: 1\nenabled: on\n", 2, /YAML 1\.1/],
    ["a plain No in a sequence", "- yes\n- No\n", 1, /YAML 1\.1/],
  ])("rejects %s", (_name, text, line, message) => {
    const problems = lintYaml(text);
    expect(problems[0]).toMatchObject({ line, message: expect.stringMatching(message) });
  });
});
