// One transfer through Liftoff's storage layer in a process of its own, for bench/storage.ts: its peak RSS is the
// transfer's (Node, the SDK and the stream buffers), not the bench's. Plain Node on the compiled runtime
// (runtime/dist, `npm run build:runtime`: what pods run), not tsx, whose compiler would count in the RSS. Reads the
// standard AWS environment, as a pod would. Prints one JSON line: { seconds, bytes, sha256, maxRssBytes, baseRssBytes }.
//   node bench/storage-transfer.mjs upload <file> <bucket> <key> [sha256]   (sha256 known, as a version's manifest has it)
//   node bench/storage-transfer.mjs download <bucket> <key> <file>
import { s3ObjectStore } from "../runtime/dist/storage/object-store.js";
import { s3ClientFromEnv } from "../runtime/dist/storage/s3-client.js";

const [mode, a, b, c, sha256] = process.argv.slice(2);
if (!a || !b || !c || (mode !== "upload" && mode !== "download"))
  throw new Error("usage: storage-transfer.mjs upload <file> <bucket> <key> | download <bucket> <key> <file>");

const client = await s3ClientFromEnv(process.env);
// RSS once everything is loaded, before the first byte moves: what the transfer adds is maxRss − this.
const baseRssBytes = process.memoryUsage().rss;
const started = process.hrtime.bigint();
const result =
  mode === "upload"
    ? await s3ObjectStore(client, b).upload(a, c, sha256 ? { sha256 } : {})
    : await s3ObjectStore(client, a).download(b, c);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
client.destroy();
// resourceUsage().maxRSS is in KiB: the process's peak over its whole life.
const maxRssBytes = process.resourceUsage().maxRSS * 1024;
process.stdout.write(
  `${JSON.stringify({ seconds, bytes: result.bytes, sha256: result.sha256, maxRssBytes, baseRssBytes })}\n`,
);
