import { vi } from "vitest";

/**
 * Moves the clock the app reads (Date only; timers stay real) forward, as if
 * that much time had passed. Polls read the model at most once per interval
 * (lib/predictions/read-schedule.ts), so a test that wants the next poll to
 * read again lets the interval pass. Undo with vi.useRealTimers().
 */
export function passTime(ms: number): void {
  const now = Date.now();
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(now + ms);
}
