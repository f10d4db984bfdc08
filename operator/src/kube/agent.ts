// One keep-alive HTTPS agent per kubeconfig. client-node builds a new, non-keep-alive agent for every call
// (applyToHTTPSOptions, applySecurityAuthentication), so every API request paid a TLS handshake: ~3 ms of CPU
// against ~0.3 ms on a reused connection, on the cores the API server needs. client-node still does all the
// credential work per call (bearer tokens, token files, exec plugins rotate); only the connection is kept. The
// pooled agent is keyed by the TLS material client-node put on its throwaway agent, so a rotated client
// certificate or CA gets a fresh pool rather than a connection made with the old one.
// Long-lived watches get an agent of their own (applyWatchHTTPSOptions): they hold their connection for minutes.
import { Agent, type AgentOptions, type RequestOptions } from "node:https";
import { createSecureContext, type SecureContext } from "node:tls";
import {
  type Configuration,
  createConfiguration,
  type KubeConfig,
  type RequestContext,
  type SecurityAuthentication,
  ServerConfiguration,
} from "@kubernetes/client-node";

/** The agent options that decide which server a connection trusts and which identity it presents. */
const TLS_KEYS = [
  "ca",
  "cert",
  "key",
  "pfx",
  "passphrase",
  "servername",
  "rejectUnauthorized",
  "ciphers",
  "crl",
  "secureProtocol",
  "secureOptions",
] as const satisfies readonly (keyof AgentOptions)[];

/**
 * Free sockets close after this long idle (Node's own global agent uses 5 s): well under any API server's idle
 * timeout, so a request never races the server closing the connection it picked.
 */
const FREE_SOCKET_TIMEOUT_MS = 5_000;

interface Pool {
  tls: Partial<AgentOptions>;
  secureContext: SecureContext;
  agent: Agent;
}

const pools = new WeakMap<KubeConfig, Pool>();

function sameValue(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  return a === b;
}

function tlsOf(options: AgentOptions): Partial<AgentOptions> {
  const out: Record<string, unknown> = {};
  for (const k of TLS_KEYS) if (options[k] !== undefined) out[k] = options[k];
  return out as Partial<AgentOptions>;
}

function sameTls(a: Partial<AgentOptions>, b: Partial<AgentOptions>): boolean {
  return TLS_KEYS.every((k) => sameValue(a[k], b[k]));
}

/** The kubeconfig's pool for these TLS settings: the same one while they stay the same, else a new one. */
function poolFor(kc: KubeConfig, tls: Partial<AgentOptions>): Pool {
  const pool = pools.get(kc);
  if (pool && sameTls(pool.tls, tls)) return pool;
  // New or rotated TLS material: the old pool's idle sockets close on their own timeout; requests in flight finish.
  // One secure context for the pool: each new connection would otherwise parse the CA, certificate and key again.
  const secureContext = createSecureContext(tls);
  const agent = new Agent({
    ...tls,
    secureContext,
    keepAlive: true,
    scheduling: "lifo",
    timeout: FREE_SOCKET_TIMEOUT_MS,
  });
  const fresh = { tls, secureContext, agent };
  pools.set(kc, fresh);
  return fresh;
}

/** Whether client-node's per-call agent is a plain HTTPS one (not a proxy's or plain HTTP's): only those are pooled. */
function plainHttps(agent: unknown): agent is Agent {
  return agent instanceof Agent && Object.getPrototypeOf(agent) === Agent.prototype;
}

/**
 * The kubeconfig's pooled keep-alive agent for the TLS settings on `perCall`, the agent client-node just built
 * for one call. A proxy agent or plain-HTTP agent (any other class) is returned as it is: it is not pooled.
 */
export function pooledAgent<A>(kc: KubeConfig, perCall: A): A | Agent {
  return plainHttps(perCall) ? poolFor(kc, tlsOf(perCall.options)).agent : perCall;
}

/**
 * For a watch: client-node's options as they are (its own connection, no keep-alive: a watch holds it for minutes
 * and must not take one from the pool), but with the pool's secure context, not one parsed again per watch.
 */
export async function applyWatchHTTPSOptions(kc: KubeConfig, opts: RequestOptions): Promise<void> {
  await kc.applyToHTTPSOptions(opts);
  const perCall = opts.agent;
  if (!plainHttps(perCall)) return;
  const tls = tlsOf(perCall.options);
  opts.agent = new Agent({ ...tls, secureContext: poolFor(kc, tls).secureContext });
}

/** client-node's applyToHTTPSOptions (credentials, TLS settings, fresh per call), then the pooled agent. */
export async function applyPooledHTTPSOptions(kc: KubeConfig, opts: RequestOptions): Promise<void> {
  await kc.applyToHTTPSOptions(opts);
  opts.agent = pooledAgent(kc, opts.agent);
}

/** client-node's per-call authentication for its generated clients, with the connection from the pool. */
function pooledAuthentication(kc: KubeConfig): SecurityAuthentication {
  return {
    getName: () => "kubeconfig-pooled",
    async applySecurityAuthentication(context: RequestContext): Promise<void> {
      await kc.applySecurityAuthentication(context);
      const perCall = context.getAgent();
      if (perCall) context.setAgent(pooledAgent(kc, perCall));
    },
  };
}

/** kc.makeApiClient, except that the client's requests reuse the kubeconfig's pooled connections. */
export function makePooledApiClient<T>(kc: KubeConfig, apiClientType: new (config: Configuration) => T): T {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("No active cluster!");
  const config = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: pooledAuthentication(kc) },
  });
  return new apiClientType(config);
}
