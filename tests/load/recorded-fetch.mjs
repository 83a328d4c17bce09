/**
 * fetch for the load tests: every request timed and recorded by kind, and
 * every 5xx, 429 or network error kept as a failure in words (a timeout is a
 * DOMException, which the test reporter prints as "{}": the message says what
 * timed out). A network error is recorded as status 0.
 */
export function recordedFetch({ baseUrl, timeoutMs }) {
  const samples = [];
  const failures = [];
  async function request(kind, url, init = {}) {
    const started = performance.now();
    try {
      const response = await fetch(new URL(url, baseUrl()), { redirect: "manual", ...init, signal: AbortSignal.timeout(timeoutMs) });
      const body = Buffer.from(await response.arrayBuffer());
      samples.push({ kind, status: response.status, ms: performance.now() - started });
      if (response.status >= 500 || response.status === 429) failures.push(`${kind} ${url}: HTTP ${response.status} ${body.toString("utf8").slice(0, 200)}`);
      return { response, body, json: () => JSON.parse(body.toString("utf8")) };
    } catch (error) {
      samples.push({ kind, status: 0, ms: performance.now() - started });
      const message = `${kind} ${url}: ${error?.name ?? "Error"}: ${error?.message ?? error}`;
      failures.push(message);
      throw new Error(message, { cause: error });
    }
  }
  return { samples, failures, request };
}
