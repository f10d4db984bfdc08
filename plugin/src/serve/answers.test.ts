import { describe, expect, it } from "vitest";
import { PluginError } from "../cli/errors.js";
import { answerJson } from "./answers.js";
import { podProxyPath, serviceProxyPath } from "./proxy.js";

const ctx = { what: "modeldeployment/penguins in namespace demo", keySource: "--key-file k" };
const answer = (status: number, body: unknown) => ({
  status,
  headers: {},
  body: typeof body === "string" ? body : JSON.stringify(body),
});
const line = (status: number, body: unknown) => {
  try {
    answerJson(answer(status, body), ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(PluginError);
    return (err as PluginError).line();
  }
  throw new Error("expected a PluginError");
};

describe("answers through the API server's proxy", () => {
  it("builds the proxy paths", () => {
    expect(serviceProxyPath("demo", "penguins", "http", "v1/models/penguins:predict")).toBe(
      "/api/v1/namespaces/demo/services/penguins:http/proxy/v1/models/penguins:predict",
    );
    expect(podProxyPath("demo", "penguins-abc", 8080, "/monitoring")).toBe(
      "/api/v1/namespaces/demo/pods/penguins-abc:8080/proxy/monitoring",
    );
  });

  it("a 2xx is the model server's JSON", () => {
    expect(answerJson(answer(200, { predictions: [] }), ctx)).toEqual({ predictions: [] });
  });

  it("the model server's 401 is one line about the key", () => {
    expect(line(401, { error: "missing or invalid bearer token", code: "LIFTOFF_ERR_UNAUTHENTICATED" })).toMatch(
      /^error: modeldeployment\/penguins in namespace demo refused the API key \(HTTP 401 LIFTOFF_ERR_UNAUTHENTICATED: missing or invalid bearer token; key from --key-file k\); pass the model's key with --key-file FILE/,
    );
    expect(line(400, { error: "column 'x' is unknown", code: "LIFTOFF_ERR_INVALID_INPUT" })).toBe(
      "error: modeldeployment/penguins in namespace demo answered HTTP 400 LIFTOFF_ERR_INVALID_INPUT: column 'x' is unknown",
    );
  });

  it("the API server's own Status: no endpoints, not found, forbidden", () => {
    expect(line(503, { kind: "Status", message: 'no endpoints available for service "penguins"' })).toMatch(
      /has no ready pod to answer \(no endpoints available for service "penguins"\); kubectl liftoff tree/,
    );
    expect(line(404, { kind: "Status", message: 'services "penguins" not found' })).toMatch(
      /^error: modeldeployment\/penguins in namespace demo: services "penguins" not found; /,
    );
    expect(line(403, { kind: "Status", message: "forbidden" })).toMatch(/services\/proxy \(predict\) or pods\/proxy/);
    expect(line(502, "Bad Gateway")).toBe(
      "error: modeldeployment/penguins in namespace demo answered HTTP 502: Bad Gateway",
    );
  });
});
