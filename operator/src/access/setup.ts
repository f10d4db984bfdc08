// The access record's ingestion, as a background task of the leader (only it writes status): the configured audit
// sources (a file device's log, a socket device's stream), each line parsed, each data-key event queued for its
// DataSet, whose reconcile writes status.access. Started with the controllers, after the caches have synced.
import type { OperatorConfig } from "../config.js";
import type { Manager } from "../manager.js";
import { parseAuditLine } from "./audit-line.js";
import { type AuditFileSource, tailAuditFile } from "./file-source.js";
import { PendingAccess } from "./pending.js";
import { type AuditSocketSource, listenAuditSocket } from "./socket-source.js";

export function setupAccessRecord(
  mgr: Manager,
  audit: NonNullable<OperatorConfig["vaultAudit"]>,
  enqueue: (key: string) => void,
): PendingAccess {
  const pending = new PendingAccess(enqueue);
  const log = mgr.log.child({ component: "access-record" });
  const onLine = (line: string) => {
    const e = parseAuditLine(line);
    if (e) pending.add(e);
  };
  let file: AuditFileSource | undefined;
  let socket: Promise<AuditSocketSource | undefined> | undefined;
  mgr.runnable({
    start: () => {
      if (audit.file) {
        file = tailAuditFile(audit.file, onLine, { log });
        log.info({ file: audit.file }, "reading the Vault audit log");
      }
      const listen = audit.listen;
      if (listen) {
        socket = listenAuditSocket(listen.host, listen.port, onLine, { log }).then(
          (s) => {
            log.info({ host: listen.host, port: s.port }, "listening for a Vault socket audit device");
            return s;
          },
          (err: Error) => {
            log.error({ err: err.message, ...listen }, "cannot listen for the Vault socket audit device");
            return undefined;
          },
        );
      }
    },
    stop: async () => {
      await file?.stop();
      await (await socket)?.stop();
    },
  });
  return pending;
}
