import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_RUNTIME_IMAGE, parseConfig, usage } from "./config.js";

/** Every flag with its environment variable and a valid value. */
const FLAGS: Array<[flag: string, env: string, value: string]> = [
  ["kubeconfig", "KUBECONFIG", "/tmp/kc"],
  ["namespaces", "LIFTOFF_WATCH_NAMESPACES", "team-a"],
  ["runtime-image", "LIFTOFF_RUNTIME_IMAGE", "registry.local/rt:2"],
  ["pytorch-image", "LIFTOFF_PYTORCH_IMAGE", "registry.local/pt:2"],
  ["pytorch-gpu-image", "LIFTOFF_PYTORCH_GPU_IMAGE", "registry.local/pt-cuda:2"],
  ["concurrency", "LIFTOFF_CONCURRENCY", "8"],
  ["metrics-bind-address", "LIFTOFF_METRICS_BIND_ADDRESS", "127.0.0.1:9090"],
  ["leader-elect", "LIFTOFF_LEADER_ELECT", "false"],
  ["lease-namespace", "LIFTOFF_LEASE_NAMESPACE", "ops"],
  ["lease-name", "LIFTOFF_LEASE_NAME", "lead"],
  ["identity", "POD_NAME", "op-0"],
  ["lease-duration", "LIFTOFF_LEASE_DURATION_SECONDS", "30"],
  ["renew-deadline", "LIFTOFF_RENEW_DEADLINE_SECONDS", "20"],
  ["retry-period", "LIFTOFF_RETRY_PERIOD_SECONDS", "5"],
  ["qps", "LIFTOFF_KUBE_API_QPS", "20"],
  ["burst", "LIFTOFF_KUBE_API_BURST", "30"],
  ["log-level", "LIFTOFF_LOG_LEVEL", "debug"],
  ["monitoring-period", "LIFTOFF_MONITORING_PERIOD_SECONDS", "5"],
  ["progress-interval", "LIFTOFF_PROGRESS_INTERVAL_SECONDS", "2"],
  ["report-bind-address", "LIFTOFF_REPORT_BIND_ADDRESS", "10.88.0.1:9443"],
  ["report-url", "LIFTOFF_REPORT_URL", "https://10.88.0.1:9443/v1/report"],
  ["report-tls-cert", "LIFTOFF_REPORT_TLS_CERT", "/tls/tls.crt"],
  ["report-tls-key", "LIFTOFF_REPORT_TLS_KEY", "/tls/tls.key"],
  ["report-ca", "LIFTOFF_REPORT_CA_FILE", "/tls/ca.crt"],
  ["vault-addr", "LIFTOFF_VAULT_ADDR", "https://vault.vault.svc:8200"],
  ["vault-ca-configmap", "LIFTOFF_VAULT_CA_CONFIGMAP", "vault-ca:bundle.pem"],
  ["vault-auth-mount", "LIFTOFF_VAULT_AUTH_MOUNT", "k8s/prod"],
  ["vault-token-ttl", "LIFTOFF_VAULT_TOKEN_TTL_SECONDS", "900"],
  ["vault-audit-file", "LIFTOFF_VAULT_AUDIT_FILE", "/var/log/openbao/audit.log"],
  ["vault-audit-listen", "LIFTOFF_VAULT_AUDIT_LISTEN", "0.0.0.0:9090"],
  ["egress-allow", "LIFTOFF_EGRESS_ALLOW", "10.20.0.0/16,minio.data.svc"],
  ["model-cache-hostpath", "LIFTOFF_MODEL_CACHE_HOSTPATH", "/var/cache/liftoff/models"],
  ["model-cache-gib", "LIFTOFF_MODEL_CACHE_GIB", "50"],
  ["activator-bind-address", "LIFTOFF_ACTIVATOR_BIND_ADDRESS", "10.88.0.1:8012"],
  ["activator-advertise", "LIFTOFF_ACTIVATOR_ADVERTISE", "10.88.0.1:8012,10.88.0.2:8013"],
  ["prometheus-url", "LIFTOFF_PROMETHEUS_URL", "http://10.88.0.1:9090/"],
  ["keda-polling-seconds", "LIFTOFF_KEDA_POLLING_SECONDS", "5"],
];

/** The ConfigError message parseConfig throws. */
function errorOf(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseConfig(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("parseConfig accepted the input");
}

describe("parseConfig", () => {
  it("has defaults for everything", () => {
    expect(parseConfig([], {})).toEqual({
      namespaces: [],
      runtimeImage: DEFAULT_RUNTIME_IMAGE,
      pytorchImages: {
        cpu: "ghcr.io/liftoff-dev/liftoff-pytorch:0.1.0",
        gpu: "ghcr.io/liftoff-dev/liftoff-pytorch-cuda:0.1.0",
      },
      concurrency: 4,
      metricsHost: "0.0.0.0",
      metricsPort: 8080,
      leaderElect: false,
      leaseNamespace: "liftoff-system",
      leaseName: "liftoff-operator",
      identity: `${hostname()}-${process.pid}`,
      leaseDurationSeconds: 15,
      renewDeadlineSeconds: 10,
      retryPeriodSeconds: 2,
      qps: 50,
      burst: 100,
      logLevel: "info",
      monitoringPeriodSeconds: 60,
      progressIntervalSeconds: 5,
      modelCache: { maxBytes: 20 * 1024 ** 3 },
      autoscaling: { prometheusUrl: "http://prometheus-operated.monitoring.svc:9090", pollingSeconds: 15 },
    });
  });

  it("elects a leader by default in a pod only", () => {
    expect(parseConfig([], {}).leaderElect).toBe(false);
    expect(parseConfig([], { KUBERNETES_SERVICE_HOST: "10.96.0.1" }).leaderElect).toBe(true);
    expect(parseConfig(["--leader-elect=false"], { KUBERNETES_SERVICE_HOST: "10.96.0.1" }).leaderElect).toBe(false);
    expect(parseConfig(["--leader-elect=true"], {}).leaderElect).toBe(true);
  });

  it("defaults the lease namespace to POD_NAMESPACE", () => {
    expect(parseConfig([], { POD_NAMESPACE: "liftoff" }).leaseNamespace).toBe("liftoff");
  });

  it("reads every setting from the environment", () => {
    const env = Object.fromEntries(FLAGS.map(([, e, v]) => [e, v]));
    expect(parseConfig([], env)).toEqual({
      kubeconfig: "/tmp/kc",
      namespaces: ["team-a"],
      runtimeImage: "registry.local/rt:2",
      pytorchImages: { cpu: "registry.local/pt:2", gpu: "registry.local/pt-cuda:2" },
      concurrency: 8,
      metricsHost: "127.0.0.1",
      metricsPort: 9090,
      leaderElect: false,
      leaseNamespace: "ops",
      leaseName: "lead",
      identity: "op-0",
      leaseDurationSeconds: 30,
      renewDeadlineSeconds: 20,
      retryPeriodSeconds: 5,
      qps: 20,
      burst: 30,
      logLevel: "debug",
      monitoringPeriodSeconds: 5,
      progressIntervalSeconds: 2,
      report: {
        host: "10.88.0.1",
        port: 9443,
        url: "https://10.88.0.1:9443/v1/report",
        certFile: "/tls/tls.crt",
        keyFile: "/tls/tls.key",
        caFile: "/tls/ca.crt",
      },
      vault: {
        address: "https://vault.vault.svc:8200",
        authMount: "k8s/prod",
        caConfigMap: { name: "vault-ca", key: "bundle.pem" },
        tokenExpirationSeconds: 900,
      },
      vaultAudit: { file: "/var/log/openbao/audit.log", listen: { host: "0.0.0.0", port: 9090 } },
      egressAllow: "10.20.0.0/16,minio.data.svc",
      modelCache: { hostPath: "/var/cache/liftoff/models", maxBytes: 50 * 1024 ** 3 },
      activator: {
        host: "10.88.0.1",
        port: 8012,
        advertise: [
          { ip: "10.88.0.1", port: 8012 },
          { ip: "10.88.0.2", port: 8013 },
        ],
      },
      autoscaling: { prometheusUrl: "http://10.88.0.1:9090", pollingSeconds: 5 },
    });
  });

  it("runs the activator in a pod by default, off outside one, and off when the address is empty", () => {
    expect(parseConfig([], {}).activator).toBeUndefined();
    expect(parseConfig([], { KUBERNETES_SERVICE_HOST: "10.96.0.1" }).activator).toEqual({
      host: "0.0.0.0",
      port: 8012,
      advertise: [],
    });
    expect(
      parseConfig(["--activator-bind-address="], { KUBERNETES_SERVICE_HOST: "10.96.0.1" }).activator,
    ).toBeUndefined();
    expect(errorOf(["--activator-bind-address=8012"])).toBe(
      '--activator-bind-address must be host:port or "", got "8012"',
    );
  });

  it("checks the egress allow-list entry by entry and keeps it comma-joined", () => {
    expect(parseConfig(["--egress-allow= 10.0.0.0/8 , fd00::/8,,.corp.example,127.0.0.1 "], {}).egressAllow).toBe(
      "10.0.0.0/8,fd00::/8,.corp.example,127.0.0.1",
    );
    expect(parseConfig(["--egress-allow=,"], {}).egressAllow).toBeUndefined();
    expect(errorOf(["--egress-allow=10.0.0.0/8,http://minio:9000"])).toBe(
      '--egress-allow: "http://minio:9000" is not a CIDR (10.0.0.0/8), an IP address, a host name (minio.data.svc) or a .suffix (.corp.example)',
    );
    expect(errorOf(["--egress-allow=10.0.0.0/33"])).toMatch(/"10\.0\.0\.0\/33" is not a CIDR/);
  });

  it("checks the Vault settings and needs an address for the others", () => {
    expect(errorOf(["--vault-auth-mount=k8s"])).toBe("--vault-auth-mount needs --vault-addr");
    expect(errorOf(["--vault-addr=vault:8200"])).toMatch(/must be an http\(s\):\/\/ address/);
    expect(errorOf(["--vault-addr=https://v:8200", "--vault-ca-configmap=Bad_Name"])).toMatch(/NAME or NAME:KEY/);
    expect(errorOf(["--vault-addr=https://v:8200", "--vault-token-ttl=60"])).toMatch(/from 600 to 86400/);
    expect(parseConfig(["--vault-addr=https://v:8200/", "--vault-ca-configmap=kube-root-ca.crt"], {}).vault).toEqual({
      address: "https://v:8200",
      authMount: "kubernetes",
      caConfigMap: { name: "kube-root-ca.crt", key: "ca.crt" },
      tokenExpirationSeconds: 600,
    });
  });

  it("takes the access record's audit sources apart from the Vault address, and checks them", () => {
    expect(parseConfig([], {}).vaultAudit).toBeUndefined();
    expect(parseConfig(["--vault-audit-file=/var/log/audit.log"], {}).vaultAudit).toEqual({
      file: "/var/log/audit.log",
    });
    expect(parseConfig([], { LIFTOFF_VAULT_AUDIT_LISTEN: "10.0.0.5:9090" }).vaultAudit).toEqual({
      listen: { host: "10.0.0.5", port: 9090 },
    });
    expect(errorOf(["--vault-audit-file=audit.log"])).toMatch(/absolute path/);
    expect(errorOf(["--vault-audit-listen=9090"])).toMatch(/host:port/);
    expect(errorOf(["--vault-audit-listen=0.0.0.0:70000"])).toMatch(/from 0 to 65535/);
  });

  it("needs a certificate and key for reporting and checks the URL", () => {
    expect(errorOf(["--report-url=https://op:9443/v1/report"])).toMatch(/needs --report-tls-cert and --report-tls-key/);
    expect(errorOf(["--report-url=http://op/v1/report"])).toMatch(/must be an https:\/\/ URL/);
    const cfg = parseConfig(["--report-url=https://op/v1/report", "--report-tls-cert=c", "--report-tls-key=k"], {});
    expect(cfg.report).toMatchObject({ host: "0.0.0.0", port: 9443, caFile: "c" });
  });

  it("reads the report certificate files under the node agent's root when LIFTOFF_PATH_PREFIX is set", () => {
    const argv = [
      "--report-url=https://op/v1/report",
      "--report-tls-cert=/tls/tls.crt",
      "--report-tls-key=/tls/tls.key",
    ];
    expect(parseConfig(argv, { LIFTOFF_PATH_PREFIX: "/agent/pods/p/root" }).report).toMatchObject({
      certFile: "/agent/pods/p/root/tls/tls.crt",
      keyFile: "/agent/pods/p/root/tls/tls.key",
      caFile: "/agent/pods/p/root/tls/tls.crt",
    });
    expect(parseConfig(argv, {}).report?.certFile).toBe("/tls/tls.crt");
  });

  it("lets a flag beat its environment variable, for every flag", () => {
    const env = Object.fromEntries(FLAGS.map(([, e, v]) => [e, v]));
    const argv = [
      "--kubeconfig=/etc/kc",
      "--namespaces=x,y",
      "--runtime-image=other.io/rt:3",
      "--pytorch-image=other.io/pt:3",
      "--pytorch-gpu-image=other.io/pt-cuda:3",
      "--concurrency=2",
      "--metrics-bind-address=:0",
      "--leader-elect=true",
      "--lease-namespace=ns2",
      "--lease-name=l2",
      "--identity=op-1",
      "--lease-duration=60",
      "--renew-deadline=40",
      "--retry-period=10",
      "--qps=7",
      "--burst=9",
      "--log-level=warn",
      "--monitoring-period=7",
      "--progress-interval=3",
      "--report-bind-address=127.0.0.1:0",
      "--report-url=https://127.0.0.1:1/v1/report",
      "--report-tls-cert=c",
      "--report-tls-key=k",
      "--report-ca=a",
      "--vault-addr=https://10.87.0.1:23470",
      "--vault-ca-configmap=kube-root-ca.crt",
      "--vault-auth-mount=kubernetes",
      "--vault-token-ttl=600",
      "--vault-audit-file=/audit/a.log",
      "--vault-audit-listen=[::]:0",
      "--egress-allow=192.168.0.0/16",
      "--model-cache-hostpath=/srv/models",
      "--model-cache-gib=5",
      "--activator-bind-address=127.0.0.1:0",
      "--activator-advertise=[fd00::5]:8012",
      "--prometheus-url=https://prom.example:9091/prom",
      "--keda-polling-seconds=30",
    ];
    expect(parseConfig(argv, env)).toEqual({
      kubeconfig: "/etc/kc",
      namespaces: ["x", "y"],
      runtimeImage: "other.io/rt:3",
      pytorchImages: { cpu: "other.io/pt:3", gpu: "other.io/pt-cuda:3" },
      concurrency: 2,
      metricsHost: "",
      metricsPort: 0,
      leaderElect: true,
      leaseNamespace: "ns2",
      leaseName: "l2",
      identity: "op-1",
      leaseDurationSeconds: 60,
      renewDeadlineSeconds: 40,
      retryPeriodSeconds: 10,
      qps: 7,
      burst: 9,
      logLevel: "warn",
      monitoringPeriodSeconds: 7,
      progressIntervalSeconds: 3,
      report: {
        host: "127.0.0.1",
        port: 0,
        url: "https://127.0.0.1:1/v1/report",
        certFile: "c",
        keyFile: "k",
        caFile: "a",
      },
      vault: {
        address: "https://10.87.0.1:23470",
        authMount: "kubernetes",
        caConfigMap: { name: "kube-root-ca.crt", key: "ca.crt" },
        tokenExpirationSeconds: 600,
      },
      vaultAudit: { file: "/audit/a.log", listen: { host: "::", port: 0 } },
      egressAllow: "192.168.0.0/16",
      modelCache: { hostPath: "/srv/models", maxBytes: 5 * 1024 ** 3 },
      activator: { host: "127.0.0.1", port: 0, advertise: [{ ip: "fd00::5", port: 8012 }] },
      autoscaling: { prometheusUrl: "https://prom.example:9091/prom", pollingSeconds: 30 },
    });
  });

  it("runs the activator by default in a pod only, advertising POD_IP; an empty bind address turns it off", () => {
    expect(
      parseConfig(["--activator-bind-address="], { KUBERNETES_SERVICE_HOST: "10.96.0.1" }).activator,
    ).toBeUndefined();
    expect(errorOf(["--activator-bind-address=", "--activator-advertise=10.0.0.1:8012"])).toBe(
      "--activator-advertise needs --activator-bind-address",
    );
    expect(parseConfig([], { POD_IP: "10.244.1.7" }).activator).toBeUndefined();
    const inPod = { POD_IP: "10.244.1.7", KUBERNETES_SERVICE_HOST: "10.96.0.1" };
    expect(parseConfig([], inPod).activator).toEqual({
      host: "0.0.0.0",
      port: 8012,
      advertise: [{ ip: "10.244.1.7", port: 8012 }],
    });
    expect(parseConfig(["--activator-bind-address=:9000"], { POD_IP: "fd00::7" }).activator?.advertise).toEqual([
      { ip: "fd00::7", port: 9000 },
    ]);
  });

  it.each([
    ["--activator-advertise=activator.liftoff:8012", /is not ip:port/],
    ["--activator-advertise=10.0.0.1", /is not ip:port/],
    ["--activator-advertise=10.0.0.1:0", /is not ip:port/],
    ["--activator-advertise=300.0.0.1:8012", /is not ip:port/],
    ["--activator-advertise=127.0.0.1:8012", /loopback or link-local, which Endpoints refuse/],
    ["--activator-bind-address=8012", /must be host:port or ""/],
    ["--prometheus-url=prometheus:9090", /--prometheus-url must be an http\(s\):\/\/ URL/],
    ["--keda-polling-seconds=0", /from 1 to 600/],
  ])("refuses %s", (flag, message) => {
    expect(errorOf(["--activator-bind-address=:8012", flag])).toMatch(message);
  });

  it.each([
    [
      "--model-cache-hostpath=relative/dir",
      '--model-cache-hostpath must be an absolute folder other than /, got "relative/dir"',
    ],
    ["--model-cache-hostpath=/", '--model-cache-hostpath must be an absolute folder other than /, got "/"'],
    [
      "--model-cache-hostpath=/var/../etc",
      '--model-cache-hostpath must be an absolute folder other than /, got "/var/../etc"',
    ],
    ["--model-cache-gib=0", '--model-cache-gib must be an integer from 1 to 100000, got "0"'],
  ])("refuses %s", (flag, message) => {
    expect(errorOf([flag])).toBe(message);
  });

  it("trims namespaces and drops empty entries", () => {
    expect(parseConfig(["--namespaces", " a , ,b,"], {}).namespaces).toEqual(["a", "b"]);
  });

  it("treats an empty environment value as unset", () => {
    expect(parseConfig([], { LIFTOFF_CONCURRENCY: "", LIFTOFF_LEADER_ELECT: "" })).toMatchObject({
      concurrency: 4,
      leaderElect: false,
    });
  });

  it("accepts an image pinned by digest", () => {
    const image = `registry.local:5000/team/rt:1.2@sha256:${"0".repeat(64)}`;
    expect(parseConfig(["--runtime-image", image], {}).runtimeImage).toBe(image);
  });
});

describe("parseConfig errors", () => {
  it.each([
    [["--nope"], {}, "Unknown option '--nope'"],
    [["stray"], {}, "Unexpected argument 'stray'. This command does not take positional arguments"],
    [["--concurrency"], {}, "Option '--concurrency <value>' argument missing"],
    [["--namespaces", "ok,Bad_NS"], {}, '--namespaces: "Bad_NS" is not a valid namespace name'],
    [["--metrics-bind-address", "8080"], {}, '--metrics-bind-address must be host:port, got "8080"'],
    [
      ["--metrics-bind-address", "h:70000"],
      {},
      '--metrics-bind-address must be an integer from 0 to 65535, got "70000"',
    ],
    [["--log-level", "loud"], {}, '--log-level must be one of trace, debug, info, warn, error, got "loud"'],
    [["--concurrency", "0"], {}, '--concurrency must be an integer from 1 to 64, got "0"'],
    [["--concurrency", "65"], {}, '--concurrency must be an integer from 1 to 64, got "65"'],
    [["--concurrency", "1.5"], {}, '--concurrency must be an integer from 1 to 64, got "1.5"'],
    [[], { LIFTOFF_CONCURRENCY: "many" }, '--concurrency must be an integer from 1 to 64, got "many"'],
    [["--leader-elect", "yes"], {}, '--leader-elect must be true or false, got "yes"'],
    [["--lease-duration", "0"], {}, '--lease-duration must be an integer from 1 to 600, got "0"'],
    [["--qps", "0"], {}, '--qps must be an integer from 1 to 10000, got "0"'],
    [["--burst=-1"], {}, '--burst must be an integer from 1 to 100000, got "-1"'],
    [
      ["--runtime-image", "Not An Image"],
      {},
      '--runtime-image "Not An Image" is not an image reference like registry/repo:tag',
    ],
    [["--runtime-image", "busybox"], {}, '--runtime-image "busybox" is not an image reference like registry/repo:tag'],
    [["--renew-deadline", "15"], {}, "--renew-deadline must be shorter than --lease-duration"],
    [["--retry-period", "10"], {}, "--retry-period must be shorter than --renew-deadline"],
  ] as Array<[string[], Record<string, string>, string]>)("%j %j → %s", (argv, env, message) => {
    const got = errorOf(argv, env);
    expect(got).toBe(message);
    expect(got).not.toContain("\n");
  });
});

describe("usage", () => {
  const text = usage();

  it("lists every flag with its environment variable on one line", () => {
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^usage: liftoff-operator/);
    expect(lines).toHaveLength(FLAGS.length + 1);
    for (const [flag, env] of FLAGS) {
      const line = lines.find((l) => l.trimStart().startsWith(`--${flag} `));
      expect(line, `--${flag}`).toBeDefined();
      expect(line).toContain(env);
    }
  });

  it("lists only flags that parseConfig accepts", () => {
    const listed = [...text.matchAll(/^\s+--([a-z-]+)\s/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(FLAGS.map(([f]) => f).sort());
    expect(() =>
      parseConfig(
        FLAGS.flatMap(([flag, , value]) => [`--${flag}`, value]),
        {},
      ),
    ).not.toThrow();
  });
});
