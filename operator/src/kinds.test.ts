import pino from "pino";
import { describe, expect, it } from "vitest";
import { KIND_DEFINITIONS } from "./api/v1alpha1/index.js";
import type { OperatorConfig } from "./config.js";
import { Controller, type Reconciler } from "./controller/controller.js";
import type { EventRecorder } from "./controller/events.js";
import { FakeCache } from "./controller/fake-cache.js";
import { KINDS, operatorPermissions } from "./kinds.js";
import type { KubeClient } from "./kube/client.js";
import { RESOURCES, type ResourceType } from "./kube/resources.js";
import type { KubeObject } from "./kube/types.js";
import type { Manager } from "./manager.js";
import { policyRules } from "./rbac.js";
import { ReportRouter } from "./report/router.js";

/** Runs every kind's setup against a manager that records which resources it caches and which it reconciles. */
function setUpEveryKind() {
  const cached = new Set<ResourceType>();
  const primaries: ResourceType[] = [];
  const log = pino({ level: "silent" });
  const mgr: Manager = {
    client: {} as KubeClient,
    config: { runtimeImage: "registry.local/runtime:1", concurrency: 1, monitoringPeriodSeconds: 30 } as OperatorConfig,
    capabilities: { serviceMonitor: true, gatewayAPI: true, prometheusRule: true },
    events: {} as EventRecorder,
    log,
    reports: { router: new ReportRouter() },
    cache<T extends KubeObject>(r: ResourceType<T>) {
      cached.add(r);
      return new FakeCache(r);
    },
    controller(reconciler: Reconciler, primary) {
      primaries.push(primary.resource);
      return new Controller(reconciler, primary, { concurrency: 1, log });
    },
    runnable: () => undefined,
  };
  for (const kind of Object.values(KINDS)) kind.setup(mgr);
  return { cached, primaries };
}

/** Whether the operator's role grants `verb` on `resource`. */
function granted(resource: ResourceType, verb: string): boolean {
  return policyRules(operatorPermissions()).some(
    (r) =>
      r.apiGroups.includes(resource.group) &&
      r.resources.includes(resource.plural) &&
      r.resourceNames === undefined &&
      r.verbs.some((v) => v === verb),
  );
}

describe("the kind registry", () => {
  it("registers every kind of the API once, under its name, with that kind's resource", () => {
    expect(Object.keys(KINDS).sort()).toEqual(Object.keys(KIND_DEFINITIONS).sort());
    for (const [name, kind] of Object.entries(KINDS)) {
      expect(kind.resource).toBe(RESOURCES[name as keyof typeof KINDS]);
    }
  });

  it("adds one controller per kind, reconciling that kind", () => {
    expect(setUpEveryKind().primaries).toEqual(Object.values(KINDS).map((k) => k.resource));
  });

  it("grants list and watch on every resource a kind's setup caches", () => {
    const { cached } = setUpEveryKind();
    const missing = [...cached].filter((r) => !granted(r, "list") || !granted(r, "watch")).map((r) => r.plural);
    expect(missing).toEqual([]);
  });

  it("declares permissions only on resources of the resource table", () => {
    const known = new Set<ResourceType>(Object.values(RESOURCES));
    for (const p of operatorPermissions()) expect(known.has(p.resource), p.resource.plural).toBe(true);
  });
});
