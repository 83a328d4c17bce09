// A small autocannon: `connections` keep-alive connections on loopback, each
// sending its next request as soon as the previous answer has been read, until
// either the time or the request budget runs out.
import http from "node:http";

/**
 * @param {object} options
 * @param {string} options.url
 * @param {string} [options.method]
 * @param {Record<string, string>} [options.headers]
 * @param {(connection: number) => Record<string, string>} [options.headersFor] per-connection headers (a person each)
 * @param {() => string | undefined} [options.body] a fresh body per request
 * @param {number} [options.connections]
 * @param {number} [options.durationMs] upper bound on the run's time
 * @param {number} [options.maxRequests] upper bound on requests sent
 * @param {(status: number) => boolean} [options.ok]
 */
export async function load({
  url,
  method = "GET",
  headers = {},
  headersFor = () => ({}),
  body = () => undefined,
  connections = 32,
  durationMs = 5000,
  maxRequests = 20_000,
  ok = (status) => status >= 200 && status < 300,
}) {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies = [];
  const statuses = new Map();
  let sent = 0;
  let failures = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(durationMs) * 1_000_000n;

  const once = (connectionHeaders) =>
    new Promise((resolve) => {
      const payload = body();
      const begin = process.hrtime.bigint();
      const request = http.request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname + target.search,
          method,
          headers: {
            ...connectionHeaders,
            ...(payload === undefined ? {} : { "content-length": Buffer.byteLength(payload) }),
          },
        },
        (response) => {
          response.resume();
          response.on("end", () => {
            latencies.push(Number(process.hrtime.bigint() - begin) / 1e6);
            statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
            if (!ok(response.statusCode)) failures++;
            resolve();
          });
        },
      );
      request.on("error", () => {
        failures++;
        statuses.set("error", (statuses.get("error") ?? 0) + 1);
        resolve();
      });
      request.end(payload);
    });

  async function connection(index) {
    const connectionHeaders = { ...headers, ...headersFor(index) };
    while (sent < maxRequests && process.hrtime.bigint() < deadline) {
      sent++;
      await once(connectionHeaders);
    }
  }
  await Promise.all(Array.from({ length: connections }, (_, index) => connection(index)));
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  agent.destroy();

  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    failures,
    statuses: Object.fromEntries(statuses),
    elapsedMs,
    rps: (latencies.length / elapsedMs) * 1000,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    latencies,
  };
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}
