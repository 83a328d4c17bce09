import { afterEach, describe, expect, it, vi } from "vitest";
import { bodyWithin, raceDeadline, runWithin, startDeadline } from "@/lib/http/deadline";

/**
 * The deadline must hold even when the work ignores its abort signal, which is
 * what Node's fetch does once its Request has been garbage collected
 * (nodejs/undici#3644): the sources below never look at the signal.
 */

afterEach(() => vi.useRealTimers());

const never = <T>() => new Promise<T>(() => {});

/** A body that sends `chunks` and then stalls without ever ending, and records whether it was cancelled. */
function stallingBody(...chunks: string[]) {
  const state = { cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { body, state };
}

async function readAll(body: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(body).text();
}

describe("runWithin", () => {
  it("rejects with a TimeoutError when the work never settles and ignores the signal", async () => {
    vi.useFakeTimers();
    let seen: AbortSignal | undefined;
    const result = runWithin(1_000, (signal) => {
      seen = signal;
      return never();
    });
    const settled = expect(result).rejects.toMatchObject({ name: "TimeoutError" });
    await vi.advanceTimersByTimeAsync(1_000);
    await settled;
    expect(seen?.aborted).toBe(true);
  });

  it("returns the work's result and stops the timer, so nothing aborts afterwards", async () => {
    vi.useFakeTimers();
    let seen: AbortSignal | undefined;
    await expect(runWithin(1_000, async (signal) => ((seen = signal), "done"))).resolves.toBe("done");
    await vi.advanceTimersByTimeAsync(5_000);
    expect(seen?.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("passes the work's own failure on unchanged", async () => {
    const failure = new TypeError("fetch failed");
    await expect(runWithin(1_000, async () => Promise.reject(failure))).rejects.toBe(failure);
  });
});

describe("raceDeadline", () => {
  it("rejects at once when the deadline has already passed", async () => {
    vi.useFakeTimers();
    const deadline = startDeadline(10);
    await vi.advanceTimersByTimeAsync(10);
    await expect(raceDeadline(Promise.resolve("late"), deadline)).rejects.toMatchObject({ name: "TimeoutError" });
  });
});

describe("bodyWithin", () => {
  it("errors a body that stalls part way with a TimeoutError, and cancels the source to close its connection", async () => {
    vi.useFakeTimers();
    const { body, state } = stallingBody("first bytes");
    const reader = bodyWithin(body, startDeadline(500)).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("first bytes");

    const stalled = expect(reader.read()).rejects.toMatchObject({ name: "TimeoutError" });
    await vi.advanceTimersByTimeAsync(500);
    await stalled;
    expect(state.cancelled).toBe(true);
  });

  it("passes a body that ends in time through unchanged and stops the timer", async () => {
    vi.useFakeTimers();
    const deadline = startDeadline(500);
    const source = new Response("a whole image").body!;
    expect(await readAll(bodyWithin(source, deadline))).toBe("a whole image");
    await vi.advanceTimersByTimeAsync(1_000);
    expect(deadline.signal.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("stops the timer and cancels the source when the reader gives up first", async () => {
    vi.useFakeTimers();
    const deadline = startDeadline(500);
    const { body, state } = stallingBody("x");
    await bodyWithin(body, deadline).cancel("no longer needed");
    expect(state.cancelled).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("passes a source's own failure on unchanged", async () => {
    const reset = new TypeError("terminated: other side closed");
    const source = new ReadableStream<Uint8Array>({ pull: (controller) => controller.error(reset) });
    await expect(readAll(bodyWithin(source, startDeadline(1_000)))).rejects.toBe(reset);
  });
});
