// JavaScript a signed-in browser downloads for a page, as Chromium counts it:
// bytes on the wire (compressed, headers included) for every script response,
// from a cold cache, until the network has been idle for half a second.

/**
 * @param {import("playwright-core").Browser} browser
 * @param {string} baseUrl
 * @param {import("playwright-core").Cookie[]} cookies the signed-in person's session
 * @param {string} pathname
 * @param {{ status?: number }} [expect] the page's own status (a 404 page measures the framework's floor)
 */
export async function jsBytesFor(browser, baseUrl, cookies, pathname, { status = 200 } = {}) {
  // A new context has an empty HTTP cache: this is a first visit.
  const context = await browser.newContext({ baseURL: baseUrl });
  await context.addCookies(cookies);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  const scripts = new Map();
  cdp.on("Network.responseReceived", ({ requestId, type, response }) => {
    if (type !== "Script") return;
    const encoding = Object.entries(response.headers).find(([name]) => name.toLowerCase() === "content-encoding")?.[1] ?? "identity";
    scripts.set(requestId, { url: response.url, encoding, headerBytes: response.encodedDataLength, bytes: null, fromCache: response.fromDiskCache });
  });
  cdp.on("Network.loadingFinished", ({ requestId, encodedDataLength }) => {
    const script = scripts.get(requestId);
    if (script) script.bytes = encodedDataLength;
  });
  try {
    const response = await page.goto(pathname, { waitUntil: "networkidle" });
    const landed = new URL(page.url()).pathname;
    if (response?.status() !== status || landed !== pathname) {
      throw new Error(`${pathname} answered ${response?.status()} at ${landed}, not ${status} there: not signed in?`);
    }
    const finished = [...scripts.values()].filter((script) => script.bytes !== null);
    return {
      pathname,
      files: finished.length,
      transferBytes: finished.reduce((sum, script) => sum + script.bytes, 0),
      bodyBytes: finished.reduce((sum, script) => sum + script.bytes - script.headerBytes, 0),
      encodings: [...new Set(finished.map((script) => script.encoding))],
      // Every script, largest first: comparing two pages' lists shows which files one adds.
      scripts: finished
        .sort((a, b) => b.bytes - a.bytes)
        .map((script) => ({ file: new URL(script.url).pathname.split("/").pop(), bytes: script.bytes })),
    };
  } finally {
    await context.close();
  }
}
