import { describe, expect, it } from "vitest";
import {
  looksSecret,
  piiColumnsOf,
  piiValuesOf,
  REDACTED,
  Redactor,
  redactionsText,
  secretEnvValues,
} from "./redact.js";

const people = {
  apiVersion: "liftoff.dev/v1alpha1",
  kind: "DataSet",
  metadata: { name: "people" },
  spec: {
    format: "csv",
    source: { inline: { data: 'email,age,label\nada@example.org,36,1\n"grace@example.org",85,0\n' } },
    schema: {
      target: "label",
      columns: [
        { name: "email", type: "string", pii: true },
        { name: "age", type: "integer" },
        { name: "label", type: "integer" },
      ],
    },
    transforms: [{ type: "dropColumns", columns: ["email"] }],
  },
  status: {
    columns: [
      { name: "email", count: 2, nulls: 0, categories: { "ada@example.org": 1, "carol@example.org": 1 } },
      { name: "age", count: 2, nulls: 0, min: 36, max: 85 },
    ],
  },
};

describe("text redaction", () => {
  it("removes bearer, Vault and service-account tokens and credential fields, keeping the words around them", () => {
    const r = new Redactor();
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJlc2lnbmF0dXJl";
    const out = r.text(
      [
        "GET /v1 authorization: Bearer abc.DEF-123",
        "vault said hvs.CAESIJ0123456789abcdefghijKLMN and s.0123456789abcdefABCDEFGH",
        `token from projected volume ${jwt}`,
        '{"x-api-key":"lk_plain_key_1","password":"hunter22"}',
        "X-API-Key: k-777 retry",
      ].join("\n"),
    );
    expect(out).toContain(`authorization: Bearer ${REDACTED}`);
    for (const leaked of [
      "abc.DEF-123",
      "CAESIJ0123",
      "0123456789abcdefABCDEFGH",
      jwt,
      "lk_plain_key_1",
      "hunter22",
      "k-777",
    ]) {
      expect(out).not.toContain(leaked);
    }
    expect(out).toContain("retry");
    const t = r.tally();
    expect(t["bearer-token"]).toBe(1);
    expect(t["vault-token"]).toBe(2);
    expect(t["service-account-token"]).toBe(1);
    expect(t["credential-field"]).toBe(3);
  });

  it("scrubs the exact values it learned, longest first, and counts them by class", () => {
    const r = new Redactor({
      apiKeys: ["lk_secretkey"],
      secrets: ["s3cr3t-value", "s3cr3t"],
      pii: ["ada@example.org"],
    });
    const out = r.text("key lk_secretkey for ada@example.org used s3cr3t-value then s3cr3t");
    expect(out).toBe(`key ${REDACTED} for ${REDACTED} used ${REDACTED} then ${REDACTED}`);
    expect(r.tally()).toMatchObject({ "api-key": 1, "secret-value": 2, pii: 1 });
  });

  it("ignores learned values too short to scrub safely", () => {
    const r = new Redactor({ secrets: ["ab"], pii: ["x"] });
    expect(r.text("ab x")).toBe("ab x");
  });

  it("leaves ordinary text alone", () => {
    const r = new Redactor();
    const line = '{"level":30,"msg":"reconciled","tokens":3,"name":"penguins"}';
    expect(r.text(line)).toBe(line);
    expect(Object.values(r.tally()).every((n) => n === 0)).toBe(true);
  });
});

describe("object redaction", () => {
  it("keeps a Secret's keys and replaces every value, service-account tokens counted apart", () => {
    const r = new Redactor();
    const s = r.object({ kind: "Secret", metadata: { name: "db" }, data: { user: "YWRh", pass: "cHc=" } });
    expect(s.data).toEqual({ user: REDACTED, pass: REDACTED });
    const sa = r.object({ kind: "Secret", type: "kubernetes.io/service-account-token", data: { token: "ZXk=" } });
    expect(sa.data).toEqual({ token: REDACTED });
    expect(r.tally()).toMatchObject({ "secret-value": 2, "service-account-token": 1 });
  });

  it("replaces env values with secret-like names, keeps others and secretKeyRefs, drops managedFields", () => {
    const r = new Redactor();
    const pod = r.object({
      kind: "Pod",
      metadata: { name: "p", managedFields: [{ manager: "kubectl" }] },
      spec: {
        containers: [
          {
            name: "c",
            env: [
              { name: "DB_PASSWORD", value: "pw-123" },
              { name: "AWS_SECRET_ACCESS_KEY", value: "wJalr" },
              { name: "LOG_LEVEL", value: "info" },
              { name: "API_TOKEN", valueFrom: { secretKeyRef: { name: "t", key: "k" } } },
            ],
          },
        ],
      },
    });
    const env = pod.spec.containers[0]?.env ?? [];
    expect(env.map((e) => e.value)).toEqual([REDACTED, REDACTED, "info", undefined]);
    expect(env[3]?.valueFrom).toEqual({ secretKeyRef: { name: "t", key: "k" } });
    expect(pod.metadata).not.toHaveProperty("managedFields");
    expect(r.tally()["env-value"]).toBe(2);
  });

  it("scrubs last-applied-configuration like the object itself", () => {
    const r = new Redactor();
    const applied = JSON.stringify({ kind: "Secret", metadata: { name: "db" }, stringData: { pass: "plain-pw" } });
    const s = r.object({
      kind: "Secret",
      metadata: { name: "db", annotations: { "kubectl.kubernetes.io/last-applied-configuration": applied } },
      data: { pass: "cGxhaW4tcHc=" },
    });
    const ann = s.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"];
    expect(ann).not.toContain("plain-pw");
    expect(JSON.parse(ann).stringData.pass).toBe(REDACTED);
    expect(r.tally()["last-applied-configuration"]).toBe(1);
  });

  it("drops a pii DataSet's inline rows and the raw values in its column statistics", () => {
    const r = new Redactor({ pii: piiValuesOf(people) });
    r.setPiiColumns(piiColumnsOf(people));
    const ds = r.object(people);
    const text = JSON.stringify(ds);
    for (const v of ["ada@example.org", "grace@example.org", "carol@example.org"]) expect(text).not.toContain(v);
    // The marking and the non-pii statistics stay.
    expect(ds.spec.schema.columns[0]).toEqual({ name: "email", type: "string", pii: true });
    expect(ds.status.columns[0]).toMatchObject({ name: "email", count: 2, nulls: 0, categories: REDACTED });
    expect(ds.status.columns[1]).toMatchObject({ name: "age", min: 36, max: 85 });
    expect(r.tally().pii).toBeGreaterThanOrEqual(3);
  });

  it("writes Dates as the API server's timestamps", () => {
    const r = new Redactor();
    const o = r.object({ metadata: { creationTimestamp: new Date("2026-01-02T03:04:05Z") } });
    expect(o.metadata.creationTimestamp as unknown).toBe("2026-01-02T03:04:05.000Z");
  });

  it("replaces a pii column's value in a captured record anywhere in an object", () => {
    const r = new Redactor();
    r.setPiiColumns(["email"]);
    const md = r.object({ kind: "ModelDeployment", status: { samples: [{ email: "eve@example.org", age: 3 }] } });
    expect(md.status.samples[0]).toEqual({ email: REDACTED, age: 3 });
  });
});

describe("pii learning", () => {
  it("reads the pii columns' values from inline csv, json and the status categories", () => {
    expect(piiColumnsOf(people)).toEqual(["email"]);
    expect(piiValuesOf(people).sort()).toEqual(["ada@example.org", "carol@example.org", "grace@example.org"]);
    const json = {
      spec: {
        format: "json",
        source: { inline: { data: JSON.stringify([{ name: "Zed Q", x: 1 }]) } },
        schema: { columns: [{ name: "name", pii: true }] },
      },
    };
    expect(piiValuesOf(json)).toEqual(["Zed Q"]);
    expect(piiValuesOf({ spec: { schema: { columns: [{ name: "a" }] } } })).toEqual([]);
  });
});

describe("helpers", () => {
  it("learns the values of env vars with secret-like names from pod templates", () => {
    const deploy = {
      spec: {
        template: {
          spec: {
            containers: [
              {
                env: [
                  { name: "DB_PASSWORD", value: "pw-1234" },
                  { name: "PORT", value: "8080" },
                  { name: "API_TOKEN", valueFrom: { secretKeyRef: { name: "x", key: "y" } } },
                ],
              },
            ],
          },
        },
      },
    };
    expect(secretEnvValues([deploy])).toEqual(["pw-1234"]);
    const r = new Redactor({ envSecrets: secretEnvValues([deploy]) });
    expect(r.text("connecting with pw-1234")).toBe(`connecting with ${REDACTED}`);
    expect(r.tally()["env-value"]).toBe(1);
  });

  it("knows secret-like env names", () => {
    for (const n of ["API_KEY", "VAULT_TOKEN", "db_password", "OAUTH_CLIENT_SECRET", "GCP_CREDENTIALS", "PASSWD"]) {
      expect(looksSecret(n), n).toBe(true);
    }
    for (const n of [
      "LOG_LEVEL",
      "PORT",
      "MODEL_URI",
      "NODE_OPTIONS",
      "LIFTOFF_VAULT_TOKEN_FILE",
      "AUTH_REFRESH_SECONDS",
    ]) {
      expect(looksSecret(n), n).toBe(false);
    }
  });

  it("writes counts per class and a total, never values", () => {
    const r = new Redactor({ apiKeys: ["lk_abcdef"] });
    r.text("lk_abcdef");
    const text = redactionsText(r.tally());
    expect(text).toMatch(/^api-key\s+1$/m);
    expect(text).toMatch(/^total\s+1$/m);
    expect(text).not.toContain("lk_abcdef");
  });
});
