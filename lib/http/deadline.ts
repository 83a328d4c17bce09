/**
 * Time limits that hold for outgoing requests and the bodies read after them.
 *
 * `AbortSignal.timeout()` passed to fetch is not enough on Node: undici links
 * the caller's signal to the request through a weak reference, and once the
 * Request object is garbage collected, which can happen as soon as the
 * headers arrive, aborting the signal no longer reaches the connection
 * (nodejs/undici#3644). A body that stalls after its headers would then hang
 * its reader for good. Here the timer is held strongly and, besides aborting
 * the signal, settles the caller's promise or errors the body itself.
 */

export type Deadline = {
  /** Aborted with a `TimeoutError` when the time is up: pass it on to fetch as well. */
  signal: AbortSignal;
  /** Stops the timer once the work is done (a finished body clears it itself). */
  clear(): void;
};

export function startDeadline(ms: number): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException(`The operation timed out after ${ms} ms.`, "TimeoutError")),
    ms,
  );
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/** `work`'s result, or the deadline's `TimeoutError` if that comes first, whether or not `work` heeds the signal. */
export function raceDeadline<T>(work: Promise<T>, deadline: Deadline): Promise<T> {
  if (deadline.signal.aborted) return Promise.reject(deadline.signal.reason);
  let stopListening = () => {};
  const timedOut = new Promise<never>((_, reject) => {
    const onAbort = () => reject(deadline.signal.reason);
    deadline.signal.addEventListener("abort", onAbort, { once: true });
    stopListening = () => deadline.signal.removeEventListener("abort", onAbort);
  });
  return Promise.race([work, timedOut]).finally(stopListening);
}

/** Runs `run` with a signal that aborts after `ms`, and settles by then either way. */
export async function runWithin<T>(ms: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const deadline = startDeadline(ms);
  try {
    return await raceDeadline(run(deadline.signal), deadline);
  } finally {
    deadline.clear();
  }
}

/**
 * `body` with the deadline applied to reading it: when the time is up the
 * reader gets the `TimeoutError` and the source is cancelled, which closes
 * its connection. The timer stops when the body ends, fails or is cancelled.
 */
export function bodyWithin(body: ReadableStream<Uint8Array>, deadline: Deadline): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let onAbort = () => {};
  const finish = () => {
    deadline.clear();
    deadline.signal.removeEventListener("abort", onAbort);
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      onAbort = () => {
        controller.error(deadline.signal.reason);
        void reader.cancel(deadline.signal.reason).catch(() => undefined);
      };
      if (deadline.signal.aborted) onAbort();
      else deadline.signal.addEventListener("abort", onAbort, { once: true });
    },
    async pull(controller) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (error) {
        finish();
        // Once the deadline has errored this stream, the source's own abort error adds nothing.
        if (deadline.signal.aborted) return;
        throw error;
      }
      if (deadline.signal.aborted) return;
      if (next.done) {
        finish();
        controller.close();
      } else {
        controller.enqueue(next.value);
      }
    },
    cancel(reason) {
      finish();
      return reader.cancel(reason);
    },
  });
}
