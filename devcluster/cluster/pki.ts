// The cluster's certificates and keys, made once with the openssl CLI and reused on later starts.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ClusterError } from "./errors.js";

/** A client identity: the API server maps CN to the user name and O to groups. */
export interface Identity {
  file: string;
  commonName: string;
  organization?: string;
}

export const IDENTITIES = {
  admin: { file: "admin", commonName: "liftoff-admin", organization: "system:masters" },
  controllerManager: { file: "kube-controller-manager", commonName: "system:kube-controller-manager" },
  scheduler: { file: "kube-scheduler", commonName: "system:kube-scheduler" },
  // The metrics pipeline (devcluster/metrics): each server its own user, bound to its own roles.
  metricsServer: { file: "metrics-server", commonName: "liftoff:metrics-server" },
  kedaOperator: { file: "keda-operator", commonName: "liftoff:keda-operator" },
  kedaMetricsApiserver: { file: "keda-metrics-apiserver", commonName: "liftoff:keda-metrics-apiserver" },
} satisfies Record<string, Identity>;

/** The user the API server's aggregation layer presents to extension API servers (its front-proxy client cert). */
export const FRONT_PROXY_CLIENT = "front-proxy-client";

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
  /**
   * The aggregation layer's own CA (kube-apiserver --requestheader-client-ca-file): only certificates it signs may
   * assert a user in X-Remote-User to metrics-server and KEDA, so no cluster-CA client can impersonate through them.
   */
  frontProxyCaCert: string;
  /** The API server's client certificate towards extension API servers (--proxy-client-cert-file), CN front-proxy-client. */
  frontProxyClient: { cert: string; key: string };
  client(identity: Identity): { cert: string; key: string };
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === "ENOENT") throw new ClusterError("openssl is not installed; install it (apt-get install openssl)");
    throw new ClusterError(`openssl ${args[0]} failed: ${e.stderr?.toString().trim() ?? e.message}`);
  }
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
const DAYS = "3650";

/** Made once; made again when its extensions (e.g. the SANs) differ from what was used last time. */
function signedCert(dir: string, name: string, subject: string, extensions: string, ca = "ca"): void {
  const extFile = join(dir, `${name}.ext`);
  if (existsSync(join(dir, `${name}.crt`)) && existsSync(extFile) && readFileSync(extFile, "utf8") === extensions)
    return;
  openssl(["req", ...EC_KEY, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject], dir);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(
    ["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial"].concat([
      "-out",
      `${name}.crt`,
      "-days",
      DAYS,
      "-extfile",
      `${name}.ext`,
    ]),
    dir,
  );
}

/** `extraIPs`: more addresses the API server is reached on (the pod network's gateway, for pods in netns mode). */
function selfSignedCa(dir: string, name: string, commonName: string): void {
  if (existsSync(join(dir, `${name}.crt`))) return;
  openssl(
    [
      "req",
      "-x509",
      ...EC_KEY,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
      "-days",
      DAYS,
      "-subj",
      `/CN=${commonName}`,
    ],
    dir,
  );
}

export function ensurePki(dir: string, serviceIP: string, extraIPs: string[] = []): Pki {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  selfSignedCa(dir, "ca", "liftoff-local-ca");
  selfSignedCa(dir, "front-proxy-ca", "liftoff-front-proxy-ca");
  signedCert(dir, FRONT_PROXY_CLIENT, `/CN=${FRONT_PROXY_CLIENT}`, "extendedKeyUsage=clientAuth\n", "front-proxy-ca");
  const sans = [
    "IP:127.0.0.1",
    `IP:${serviceIP}`,
    ...extraIPs.map((ip) => `IP:${ip}`),
    "DNS:localhost",
    "DNS:kubernetes",
    "DNS:kubernetes.default",
    "DNS:kubernetes.default.svc",
    "DNS:kubernetes.default.svc.cluster.local",
  ].join(",");
  signedCert(dir, "apiserver", "/CN=kube-apiserver", `subjectAltName=${sans}\nextendedKeyUsage=serverAuth\n`);
  for (const id of Object.values(IDENTITIES) as Identity[]) {
    const subject = `${id.organization ? `/O=${id.organization}` : ""}/CN=${id.commonName}`;
    signedCert(dir, id.file, subject, "extendedKeyUsage=clientAuth\n");
  }
  if (!existsSync(join(dir, "sa.pub"))) {
    openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key"], dir);
    openssl(["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);
  }
  return {
    dir,
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    serverCert: join(dir, "apiserver.crt"),
    serverKey: join(dir, "apiserver.key"),
    serviceAccountKey: join(dir, "sa.key"),
    serviceAccountPub: join(dir, "sa.pub"),
    frontProxyCaCert: join(dir, "front-proxy-ca.crt"),
    frontProxyClient: { cert: join(dir, `${FRONT_PROXY_CLIENT}.crt`), key: join(dir, `${FRONT_PROXY_CLIENT}.key`) },
    client: (id) => ({ cert: join(dir, `${id.file}.crt`), key: join(dir, `${id.file}.key`) }),
  };
}

/**
 * A serving certificate signed by the cluster CA, for a server pods reach besides the API server (the operator's
 * result-reporting endpoint when the operator runs out of cluster): pods trust the CA they already get.
 */
export function issueServingCert(
  pki: Pki,
  name: string,
  ips: string[],
  dnsNames: string[] = [],
  /** Also a client certificate (KEDA's operator and adapter use one pair for both ends of their mTLS gRPC). */
  clientAuth = false,
): { cert: string; key: string; ca: string } {
  const sans = [...ips.map((ip) => `IP:${ip}`), ...dnsNames.map((d) => `DNS:${d}`)].join(",");
  const usage = clientAuth ? "serverAuth,clientAuth" : "serverAuth";
  signedCert(pki.dir, name, `/CN=${name}`, `subjectAltName=${sans}\nextendedKeyUsage=${usage}\n`);
  return { cert: join(pki.dir, `${name}.crt`), key: join(pki.dir, `${name}.key`), ca: pki.caCert };
}
