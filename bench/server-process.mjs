// The `next start` process behind a base URL, and its memory as Linux reports it.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/**
 * The pid of the process listening on `baseUrl`'s port. tests/e2e/support/server.mjs
 * starts `node .../next/dist/bin/next start` itself (no npx wrapper), so that
 * process is the server; Next renames it to "next-server", hence the lookup by
 * listening socket rather than by command line.
 */
export function serverPid(baseUrl) {
  const port = Number(new URL(baseUrl).port);
  const inodes = new Set();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.trim().split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local address is HEXIP:HEXPORT; state 0A is LISTEN
      if (fields[3] === "0A" && parseInt(fields[1].split(":").pop(), 16) === port) inodes.add(fields[9]);
    }
  }
  if (inodes.size === 0) throw new Error(`nothing listens on port ${port}`);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let fds;
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // gone meanwhile
    }
    for (const fd of fds) {
      let link;
      try {
        link = readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (inode && inodes.has(inode)) return Number(entry);
    }
  }
  throw new Error(`no process owns the socket listening on port ${port}`);
}

const rssOf = (pid) => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) * 1024;

/**
 * VmRSS and VmHWM (peak RSS) in bytes, and the pids of child processes: a
 * figure is only the server's whole footprint while it has none (the first
 * start makes its database in a short-lived child).
 */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1]) * 1024;
  const children = readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim().split(" ").filter(Boolean),
  );
  return { rss: kb("VmRSS"), hwm: kb("VmHWM"), children };
}

/**
 * Samples VmRSS every `everyMs` while `work` runs; returns its result and the
 * highest RSS seen. Reading /proc costs a few microseconds, so 1 ms sampling
 * catches any buffer that lives as long as a 10 MB transfer does.
 */
export async function sampleRssDuring(pid, work, everyMs = 1) {
  let peak = rssOf(pid);
  let samples = 0;
  const timer = setInterval(() => {
    samples++;
    peak = Math.max(peak, rssOf(pid));
  }, everyMs);
  try {
    const result = await work();
    peak = Math.max(peak, rssOf(pid));
    return { result, peak, samples };
  } finally {
    clearInterval(timer);
  }
}

/** CPU time (user + system, all threads) the process has used so far, in seconds. */
export function cpuSecondsOf(pid) {
  // Fields after the command name, which may itself hold spaces: utime and stime are 14th and 15th.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ").pop().split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
