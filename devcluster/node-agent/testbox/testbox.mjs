// The "liftoff-testbox" image: a tiny program the node agent's end-to-end tests run as pods.
// Container paths are resolved under LIFTOFF_PATH_PREFIX, and servers bind LIFTOFF_POD_IP, as any
// program run by the agent should.
//
//   serve                 HTTP on $PORT (8080): / (identity), /healthz, /readyz (503 once /tmp/unready exists), /env,
//                         /metrics (Prometheus text: testbox_value, $TESTBOX_VALUE or the last /value?set=N);
//                         with $BURN_PERCENT it keeps that share of one core busy (the metrics pipeline's tests)
//   exit CODE [MESSAGE]   write MESSAGE to the termination log, exit with CODE
//   write PATH TEXT       write TEXT to PATH, exit 0
//   read PATH             print PATH and put it in the termination log; exit 1 if it is missing
//   sleep SECONDS         sleep, exit 0
//   stubborn              run forever, ignoring SIGTERM
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join } from "node:path";

const prefix = process.env.LIFTOFF_PATH_PREFIX ?? "";
const at = (p) => (p.startsWith("/") && prefix ? join(prefix, p) : p);
const terminationLog = at(process.env.TERMINATION_LOG ?? "/dev/termination-log");
const [cmd = "serve", ...rest] = process.argv.slice(2);

function terminate(code, message) {
  if (message !== undefined) {
    try {
      writeFileSync(terminationLog, message);
    } catch (err) {
      console.error(`testbox: cannot write termination log: ${err.message}`);
    }
  }
  process.exit(code);
}

switch (cmd) {
  case "serve": {
    const host = process.env.LIFTOFF_POD_IP || "0.0.0.0";
    const port = Number(process.env.PORT ?? 8080);
    let value = Number(process.env.TESTBOX_VALUE ?? 0);
    // Busy for BURN_PERCENT ms of every 100 ms, between which the server still answers.
    const burn = Math.min(95, Math.max(0, Number(process.env.BURN_PERCENT ?? 0)));
    if (burn > 0) {
      setInterval(() => {
        const until = Date.now() + burn;
        while (Date.now() < until) Math.sqrt(Math.random());
      }, 100);
    }
    const server = createServer((req, res) => {
      const json = (code, body) =>
        res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(body));
      if (req.url === "/healthz") return json(200, { ok: true });
      if (req.url === "/readyz")
        return existsSync(at("/tmp/unready")) ? json(503, { ready: false }) : json(200, { ready: true });
      if (req.url === "/env") return json(200, process.env);
      if (req.url === "/metrics") {
        const text = `# HELP testbox_value A value tests set.\n# TYPE testbox_value gauge\ntestbox_value ${value}\n`;
        return void res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(text);
      }
      if (req.url?.startsWith("/value")) {
        const set = new URL(req.url, "http://testbox").searchParams.get("set");
        if (set !== null && Number.isFinite(Number(set))) value = Number(set);
        return json(200, { value });
      }
      return json(200, { hostname: process.env.HOSTNAME, ip: host, pid: process.pid });
    });
    server.listen(port, host, () => console.log(`testbox: serving on ${host}:${port}`));
    process.on("SIGTERM", () => {
      console.log("testbox: SIGTERM, closing");
      server.close(() => process.exit(0));
      setTimeout(() => process.exit(0), 500).unref();
    });
    break;
  }
  case "exit":
    console.log(`testbox: exiting with ${rest[0]}`);
    terminate(Number(rest[0] ?? 0), rest.slice(1).join(" ") || undefined);
    break;
  case "write": {
    const file = at(rest[0]);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, rest.slice(1).join(" "));
    console.log(`testbox: wrote ${rest[0]}`);
    terminate(0);
    break;
  }
  case "read": {
    const file = at(rest[0]);
    if (!existsSync(file)) {
      console.error(`testbox: ${rest[0]} does not exist`);
      terminate(1, `missing ${rest[0]}`);
    }
    const text = readFileSync(file, "utf8");
    console.log(text);
    terminate(0, text);
    break;
  }
  case "sleep":
    setTimeout(() => process.exit(0), Number(rest[0] ?? 3600) * 1000);
    break;
  case "stubborn":
    process.on("SIGTERM", () => console.log("testbox: ignoring SIGTERM"));
    setInterval(() => {}, 1 << 30);
    // Until this line the default SIGTERM action still applies: tests wait for it before they delete the pod.
    console.log("testbox: stubborn, ignoring SIGTERM from now on");
    break;
  default:
    console.error(`testbox: unknown command "${cmd}"`);
    process.exit(2);
}
