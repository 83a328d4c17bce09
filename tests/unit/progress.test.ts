import { describe, expect, it } from "vitest";
import { formatProgressLine, parseProgress } from "@/lib/predictions/progress";

describe("parseProgress", () => {
  it("reads n/total from a single tqdm line", () => {
    expect(parseProgress(" 45%|████▌     | 23/50 [00:04<00:05,  4.90it/s]")).toBeCloseTo(23 / 50);
  });

  it("prefers the exact count over the rounded percentage", () => {
    // tqdm prints 3% for 1/30; the count says 0.0333…
    expect(parseProgress("  3%|▎         | 1/30 [00:00<00:07,  3.95it/s]")).toBeCloseTo(1 / 30, 6);
  });

  it("takes the last redraw of a bar that uses carriage returns", () => {
    const logs =
      "Using seed: 1234\n" +
      "  0%|          | 0/50 [00:00<?, ?it/s]\r" +
      "  2%|▏         | 1/50 [00:00<00:10,  4.80it/s]\r" +
      " 20%|██        | 10/50 [00:02<00:08,  4.90it/s]\r" +
      " 40%|████      | 20/50 [00:04<00:06,  4.91it/s]";
    expect(parseProgress(logs)).toBeCloseTo(0.4);
  });

  it("takes the last line when every step is on its own line", () => {
    const lines = Array.from({ length: 31 }, (_, n) => formatProgressLine({ n, total: 30, elapsedMs: n * 120 }));
    expect(parseProgress(`Using seed: 7\n${lines.slice(0, 13).join("\n")}\n`)).toBeCloseTo(12 / 30);
    expect(parseProgress(`${lines.join("\n")}\n`)).toBe(1);
  });

  it("follows the second bar (the refiner) once it has started", () => {
    const logs =
      "Using seed: 42\n" +
      "100%|██████████| 40/40 [00:08<00:00,  4.88it/s]\n" +
      "Running refiner\n" +
      " 10%|█         | 1/10 [00:00<00:01,  5.02it/s]\r" +
      " 30%|███       | 3/10 [00:00<00:01,  5.01it/s]";
    expect(parseProgress(logs)).toBeCloseTo(0.3);
  });

  it("skips text printed after the last progress line", () => {
    const logs = " 60%|██████    | 30/50 [00:06<00:04,  4.9it/s]\nSaving image...\nDone in 10.2s\n";
    expect(parseProgress(logs)).toBeCloseTo(0.6);
  });

  it("reads a percentage when there is no count", () => {
    expect(parseProgress("Progress: 73%")).toBeCloseTo(0.73);
    expect(parseProgress(" 45%|████▌     |")).toBeCloseTo(0.45);
    expect(parseProgress("step done, 12.5% complete")).toBeCloseTo(0.125);
  });

  it("reads a count when there is no percentage", () => {
    expect(parseProgress("23/50 [00:04<00:05,  4.9it/s]")).toBeCloseTo(0.46);
    expect(parseProgress("step 7 / 28")).toBeCloseTo(0.25);
  });

  it("falls back to the percentage when the count is not a count", () => {
    // 9/4 cannot be progress; the 50% on the same line can.
    expect(parseProgress("ratio 9/4, 50%")).toBeCloseTo(0.5);
  });

  it("clamps to 0..1", () => {
    expect(parseProgress("150%")).toBe(1);
    expect(parseProgress("0/30")).toBe(0);
  });

  it.each([
    ["null", null],
    ["undefined", undefined],
    ["empty", ""],
    ["only newlines", "\n\r\n\r"],
    ["text without progress", "Using seed: 1234\nLoading pipeline...\n"],
    ["a date", "2024/01/02 12:00:00 starting"],
    ["a path", "/src/weights/model.safetensors loaded"],
    ["garbage", "\u0000\u0007%%%|||///<<<>>>[[[]]]\uffff"],
    ["a zero total", "0/0 steps"],
  ])("returns null for %s", (_name, logs) => {
    expect(parseProgress(logs as string | null | undefined)).toBeNull();
  });

  it("returns null for values that are not strings", () => {
    expect(parseProgress(42 as unknown as string)).toBeNull();
    expect(parseProgress({} as unknown as string)).toBeNull();
  });

  it("handles a 1 MB log quickly and reads its end", () => {
    const noise = "x".repeat(1024 * 1024);
    const logs = `${noise}\n 80%|████████  | 40/50 [00:08<00:02,  4.9it/s]`;
    const started = performance.now();
    expect(parseProgress(logs)).toBeCloseTo(0.8);
    expect(parseProgress(noise)).toBeNull();
    // Inputs built to make a naive pattern backtrack: long digit and percent runs.
    expect(parseProgress("9".repeat(1024 * 1024))).toBeNull();
    expect(parseProgress("1/".repeat(512 * 1024))).toBeNull();
    expect(performance.now() - started).toBeLessThan(200);
  });

  it("ignores a line cut in half by the bounded tail", () => {
    // Only the last 4 KB are read. "49/50" cut one character in reads "9/50"
    // (18%), a bar jumping back; the cut line must be skipped, not guessed at.
    const line = `49/50 ${"y".repeat(4096 - 5)}`;
    expect(line.slice(-4096).startsWith("9/50 ")).toBe(true);
    expect(parseProgress(line)).toBeNull();
    // The whole lines after the cut still count.
    expect(parseProgress(`${line}\n 30%|███       | 15/50 [00:03<00:07,  4.9it/s]`)).toBeCloseTo(0.3);
  });
});

describe("formatProgressLine", () => {
  it("prints tqdm's default format with a ten-cell unicode bar", () => {
    expect(formatProgressLine({ n: 0, total: 30, elapsedMs: 0 })).toBe("  0%|          | 0/30 [00:00<?, ?it/s]");
    expect(formatProgressLine({ n: 1, total: 30, elapsedMs: 250 })).toBe("  3%|▎         | 1/30 [00:00<00:07,  4.00it/s]");
    expect(formatProgressLine({ n: 23, total: 50, elapsedMs: 4700 })).toBe(" 46%|████▌     | 23/50 [00:04<00:05,  4.89it/s]");
    expect(formatProgressLine({ n: 30, total: 30, elapsedMs: 6000 })).toBe("100%|██████████| 30/30 [00:06<00:00,  5.00it/s]");
  });

  it("switches to seconds per iteration for slow steps, as tqdm does", () => {
    expect(formatProgressLine({ n: 2, total: 10, elapsedMs: 5000 })).toBe(" 20%|██        | 2/10 [00:05<00:20,  2.50s/it]");
  });

  it("round-trips through parseProgress", () => {
    for (let n = 0; n <= 50; n++) {
      expect(parseProgress(formatProgressLine({ n, total: 50, elapsedMs: n * 200 }))).toBeCloseTo(n / 50, 6);
    }
  });
});
