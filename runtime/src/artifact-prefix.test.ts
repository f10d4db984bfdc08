import { describe, expect, it } from "vitest";
import { inContainerRoot, resolveModelUri } from "./artifact.js";

describe("inContainerRoot", () => {
  it("puts file locations under the container root the node agent gives", () => {
    const loc = resolveModelUri("pvc://models/iris/model.json", "/mnt/pvc");
    expect(inContainerRoot(loc, "/host/pods/ns/p/roots/runtime")).toEqual({
      kind: "file",
      path: "/host/pods/ns/p/roots/runtime/mnt/pvc/models/iris/model.json",
    });
  });

  it("leaves paths alone in a real container and never touches http locations", () => {
    const file = resolveModelUri("file:///models/m.json", "/mnt/pvc");
    expect(inContainerRoot(file, undefined)).toEqual(file);
    expect(inContainerRoot(file, "")).toEqual(file);
    const http = resolveModelUri("https://example.com/m/model.json", "/mnt/pvc");
    expect(inContainerRoot(http, "/root")).toEqual(http);
  });
});
