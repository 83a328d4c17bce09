// The Replicate stand-in of the browser tests (tests/e2e/support/replicate-stand-in.mjs:
// model schemas, create-time validation, the real prediction lifecycle), set up
// for the benchmark: predictions finish at once, and every output is a PNG served
// from memory (`large`, or `small` when the prompt contains "[small]"). The app
// reaches it through the official client with REPLICATE_BASE_URL, so the save
// runs its real path: the output host check, the streamed download, storage and
// the row. /files/{name} serves the same bytes outside any prediction, for the
// bench's plain download (names starting "small" get the small one).
//
// It runs in a process of its own (spawnReplicateStandIn), as Replicate is a
// machine of its own: served from the bench's process, sending 10 MB would
// share one event loop with the plain download it is compared against, and
// slow that baseline down.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";
import { startReplicateStandIn } from "../tests/e2e/support/replicate-stand-in.mjs";

/** REPLICATE_API_TOKEN for the app under test: the stand-in accepts no other. */
export const BENCH_TOKEN = "bench-stand-in-token";

/** A valid RGB PNG of random pixels (stored, not compressed), so its size is what it says. */
export function noisePng(width, height) {
  const stride = 1 + width * 3;
  const raw = randomBytes(stride * height);
  for (let row = 0; row < height; row++) raw[row * stride] = 0; // filter: none
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, adaptive filtering, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level: 0 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Starts the stand-in on 127.0.0.1; `baseUrl` is what REPLICATE_BASE_URL should be. */
export function startBenchStandIn({ large, small }) {
  return startReplicateStandIn({
    token: BENCH_TOKEN,
    queueMs: 0,
    runMs: 0,
    outputFor: (run) => ({ bytes: String(run.input.prompt).includes("[small]") ? small : large, contentType: "image/png" }),
    files: (name) => (name.startsWith("small") ? small : large),
  });
}

/**
 * Starts the stand-in in a child process, serving noise PNGs of `large` and
 * `small` ([width, height]); resolves with its addresses and the large PNG's size.
 */
export async function spawnReplicateStandIn({ large, small }) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...large, ...small].map(String), {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise((resolve, reject) => {
    child.stdout.once("data", resolve);
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the Replicate stand-in exited with code ${code} before it was ready`)));
  });
  const { origin, baseUrl, largeBytes } = JSON.parse(String(line));
  return {
    origin,
    baseUrl,
    largeBytes,
    close: async () => {
      if (child.exitCode !== null) return;
      const gone = once(child, "exit");
      child.kill("SIGTERM");
      await gone;
    },
  };
}

// Run as a script by spawnReplicateStandIn: node replicate-stand-in.mjs <large w> <large h> <small w> <small h>
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [largeWidth, largeHeight, smallWidth, smallHeight] = process.argv.slice(2).map(Number);
  const large = noisePng(largeWidth, largeHeight);
  const standIn = await startBenchStandIn({ large, small: noisePng(smallWidth, smallHeight) });
  process.once("SIGTERM", () => standIn.close().then(() => process.exit(0)));
  console.log(JSON.stringify({ origin: standIn.origin, baseUrl: standIn.baseUrl, largeBytes: large.length }));
}
