import { describe, expect, it } from "vitest";
import { RESOURCES } from "../kube/resources.js";
import { child } from "./child.js";

describe("child", () => {
  const selector = { matchLabels: { app: "x" } };
  const template = { spec: { containers: [{ name: "c", image: "i" }] } };

  it("stamps apiVersion and kind from the resource", () => {
    const d = child(RESOURCES.Deployment, { name: "x" }, { spec: { selector, template } });
    expect(d.object).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "x" },
      spec: { selector, template },
    });
    expect(d.resource).toBe(RESOURCES.Deployment);
  });

  it("types the body with the resource's model, so a misspelt field does not compile", () => {
    // tsc fails this file if the line below compiles, that is if a typo in a child slipped through.
    // @ts-expect-error progressDeadlineSecond is not a DeploymentSpec field
    const d = child(RESOURCES.Deployment, { name: "x" }, { spec: { selector, template, progressDeadlineSecond: 1 } });
    expect(d.object.kind).toBe("Deployment");
  });
});
