// A Replicate-compatible server on loopback, for the benchmark only: creates
// answer "starting", every read answers "succeeded" with one output, a PNG
// served from memory (`large`, or `small` when the prompt contains "[small]").
// The app reaches it through the official client with REPLICATE_BASE_URL, so
// the save runs its real path: the output host check, the streamed download,
// storage and the row.
//
// It runs in a process of its own (spawnReplicateStandIn), as Replicate is a
// machine of its own: served from the bench's process, sending 10 MB would
// share one event loop with the plain download it is compared against, and
// slow that baseline down.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";

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

const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const newId = () => Array.from(randomBytes(26), (byte) => ID_ALPHABET[byte % 36]).join("");

/** Starts the stand-in on 127.0.0.1; `baseUrl` is what REPLICATE_BASE_URL should be. */
export async function startReplicateStandIn({ large, small }) {
  const predictions = new Map();
  const outputs = new Map();
  const counts = { creates: 0, reads: 0, downloads: 0 };
  let origin = "";

  const server = createServer((request, response) => {
    const url = new URL(request.url, origin);
    const send = (status, body) => {
      const text = JSON.stringify(body);
      response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      response.end(text);
    };
    if (request.method === "POST" && url.pathname === "/v1/predictions") {
      let body = "";
      request.setEncoding("utf8");
      request.on("data", (part) => (body += part));
      request.on("end", () => {
        counts.creates++;
        const { input = {}, version = null } = JSON.parse(body || "{}");
        const prediction = {
          id: newId(),
          model: "bench/stand-in",
          version,
          input,
          logs: "",
          output: null,
          error: null,
          status: "starting",
          created_at: new Date().toISOString(),
          started_at: null,
          completed_at: null,
        };
        predictions.set(prediction.id, prediction);
        outputs.set(`${prediction.id}.png`, String(input.prompt).includes("[small]") ? small : large);
        send(201, prediction);
      });
      return;
    }
    const read = /^\/v1\/predictions\/([a-z0-9]+)$/.exec(url.pathname);
    if (request.method === "GET" && read && predictions.has(read[1])) {
      counts.reads++;
      const now = new Date().toISOString();
      send(200, {
        ...predictions.get(read[1]),
        status: "succeeded",
        logs: "100%|██████████| 25/25\n",
        output: [`${origin}/files/${read[1]}.png`],
        started_at: now,
        completed_at: now,
      });
      return;
    }
    const file = /^\/files\/([a-z0-9]+\.png)$/.exec(url.pathname);
    if (request.method === "GET" && file) {
      counts.downloads++;
      // Any other name is the bench's own plain download of the same bytes.
      const png = outputs.get(file[1]) ?? (file[1].startsWith("small") ? small : large);
      response.writeHead(200, { "content-type": "image/png", "content-length": png.length });
      response.end(png);
      return;
    }
    send(404, { title: "Not found", detail: "The stand-in does not know this path.", status: 404 });
  });

  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    baseUrl: `${origin}/v1`,
    counts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
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
  const standIn = await startReplicateStandIn({ large, small: noisePng(smallWidth, smallHeight) });
  process.once("SIGTERM", () => standIn.close().then(() => process.exit(0)));
  console.log(JSON.stringify({ origin: standIn.origin, baseUrl: standIn.baseUrl, largeBytes: large.length }));
}
