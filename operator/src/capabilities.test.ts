import { describe, expect, it } from "vitest";
import { detectCapabilities, metricsAPIsOf } from "./capabilities.js";
import { KubeApiError, type KubeClient } from "./kube/client.js";
import type { APIService } from "./kube/models.js";
import type { ResourceType } from "./kube/resources.js";
import type { KubeObject } from "./kube/types.js";

const apiService = (name: string, available: "True" | "False"): APIService => ({
  metadata: { name },
  spec: { groupPriorityMinimum: 100, versionPriority: 100 },
  status: {
    conditions: [
      { type: "Available", status: available, reason: available === "True" ? "Passed" : "FailedDiscoveryCheck" },
    ],
  },
});

/** A client that knows some objects by plural/name and refuses the plurals in `forbidden` with 403. */
function client(objects: Record<string, KubeObject>, forbidden: string[] = []): KubeClient {
  return {
    async getOptional(r: ResourceType, _ns: string | undefined, name: string) {
      if (forbidden.includes(r.plural)) throw new KubeApiError(403, undefined, "GET", `/${r.plural}/${name}`);
      return objects[`${r.plural}/${name}`];
    },
  } as unknown as KubeClient;
}

describe("detectCapabilities", () => {
  it("finds KEDA by its ScaledObject CRD and the metrics APIs by their Available APIServices", async () => {
    const caps = await detectCapabilities(
      client({
        "customresourcedefinitions/scaledobjects.keda.sh": { metadata: { name: "scaledobjects.keda.sh" } },
        "apiservices/v1beta1.metrics.k8s.io": apiService("v1beta1.metrics.k8s.io", "True"),
        "apiservices/v1beta1.external.metrics.k8s.io": apiService("v1beta1.external.metrics.k8s.io", "False"),
      }),
    );
    expect(caps).toEqual({
      serviceMonitor: false,
      gatewayAPI: false,
      prometheusRule: false,
      keda: true,
      // Registered but not answering (FailedDiscoveryCheck) counts as absent, like a missing one.
      metricsAPIs: { resource: true, custom: false, external: false },
    });
  });

  it("treats what it may not read (403) as absent rather than refusing to start", async () => {
    const caps = await detectCapabilities(client({}, ["customresourcedefinitions", "apiservices"]));
    expect(caps.keda).toBe(false);
    expect(caps.metricsAPIs).toEqual({ resource: false, custom: false, external: false });
  });
});

describe("metricsAPIsOf", () => {
  it("reads only the three metrics APIServices", () => {
    expect(
      metricsAPIsOf([
        apiService("v1.apps", "True"),
        apiService("v1beta1.custom.metrics.k8s.io", "True"),
        apiService("v1beta1.external.metrics.k8s.io", "True"),
      ]),
    ).toEqual({ resource: false, custom: true, external: true });
  });
});
