import { describe, expect, it } from "vitest";
import { outputMismatch } from "./expected-output.js";

describe("outputMismatch", () => {
  it.each([
    { name: "exact", expected: "rows 333", actual: "rows 333\n" },
    { name: "trailing spaces and blank lines", expected: "a  \n\nb\n\n", actual: "a\n\nb" },
    { name: "… inside a line", expected: "published as 2857c32c…", actual: "published as 2857c32c69f5" },
    { name: "... inside a line", expected: "penguins   True   333   ...", actual: "penguins   True   333   9s" },
    {
      name: "a gap line for several lines",
      expected: "…\ntest accuracy=1.0000",
      actual: "> npm banner\n\nepoch 1\ntest accuracy=1.0000",
    },
    { name: "a gap line for none", expected: "a\n...\nb", actual: "a\nb" },
  ])("matches: $name", ({ expected, actual }) => {
    expect(outputMismatch(expected, actual)).toBeUndefined();
  });

  it.each([
    {
      name: "a stale digest",
      expected: "published as 2857c32c…",
      actual: "published as 80daacaf1234",
      why: /expected line 1 not printed/,
    },
    {
      name: "a stale row count",
      expected: "penguins   True   344   ...",
      actual: "penguins   True   333   9s",
      why: /not printed/,
    },
    { name: "a missing line", expected: "a\nb", actual: "a", why: /expected line 2 not printed: "b"/ },
    { name: "an extra line", expected: "a", actual: "a\nb", why: /from output line 2: "b"/ },
    { name: "regex characters are literal", expected: "(1+1)", actual: "11", why: /not printed/ },
  ])("fails on $name", ({ expected, actual, why }) => {
    expect(outputMismatch(expected, actual)).toMatch(why);
  });
});
