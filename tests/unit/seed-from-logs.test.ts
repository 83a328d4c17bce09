import { describe, expect, it } from "vitest";
import { formatProgressLine } from "@/lib/predictions/progress";
import { seedFromLogs } from "@/lib/predictions/seed-from-logs";

// tqdm redraws its bar in place with \r; a log collected mid-run holds every redraw.
function tqdm(total: number, newline = "\r"): string {
  const lines = [];
  for (let n = 0; n <= total; n++) lines.push(formatProgressLine({ n, total, elapsedMs: n * 210 }));
  return lines.join(newline);
}

describe("seedFromLogs", () => {
  it("reads the seed from an SDXL run's logs, tqdm bar and all", () => {
    const logs = [
      "Using seed: 28503",
      "Prompt: An astronaut riding a rainbow unicorn, cinematic, dramatic",
      "txt2img mode",
      tqdm(50),
      "",
    ].join("\n");
    expect(seedFromLogs(logs)).toBe(28503);
  });

  it("reads the seed from a Flux run that prints it after warnings and between bars", () => {
    const logs = [
      "/root/.pyenv/versions/3.11.10/lib/python3.11/site-packages/torch/nn/modules/linear.py:125: UserWarning: step 30/50 of 2024-05-01",
      "  return F.linear(input, self.weight, self.bias)",
      `Using seed: 3922116781\r${tqdm(28)}`,
      "Total safe images: 1 out of 1",
    ].join("\n");
    expect(seedFromLogs(logs)).toBe(3922116781);
  });

  it("reads each of the phrasings it knows", () => {
    expect(seedFromLogs("Using seed 1234")).toBe(1234);
    expect(seedFromLogs("using seed:42")).toBe(42);
    expect(seedFromLogs("Random seed set to: 99")).toBe(99);
    expect(seedFromLogs("Random seed set to 99 for reproducibility")).toBe(99);
    expect(seedFromLogs("seed: 7\nnum_inference_steps: 30")).toBe(7);
    expect(seedFromLogs("steps: 30\r\n  Seed: 8\r\n")).toBe(8);
    expect(seedFromLogs("2024-05-01 12:00:00,123 - INFO - Using seed: 555.")).toBe(555);
  });

  it("reads a seed wrapped in terminal colour codes", () => {
    expect(seedFromLogs("\x1b[32mUsing seed: 31337\x1b[0m\n")).toBe(31337);
    expect(seedFromLogs("\x1b[1mseed:\x1b[0m 12\n")).toBe(12);
  });

  it("takes the first seed when a model prints several", () => {
    expect(seedFromLogs("Using seed: 100\nimage 1 done\nUsing seed: 101\n")).toBe(100);
    expect(seedFromLogs("Random seed set to: 5\nUsing seed: 6")).toBe(5);
  });

  it("skips a line that names no usable seed and keeps looking", () => {
    expect(seedFromLogs("Using seed: None\nUsing seed: 17")).toBe(17);
    expect(seedFromLogs("Using seed: -1\nRandom seed set to: 18")).toBe(18);
    expect(seedFromLogs("Using seed: 123456789012345678\nUsing seed: 19")).toBe(19);
  });

  it("accepts 0 and the largest safe integer, and nothing bigger", () => {
    expect(seedFromLogs("Using seed: 0")).toBe(0);
    expect(seedFromLogs(`Using seed: ${Number.MAX_SAFE_INTEGER}`)).toBe(Number.MAX_SAFE_INTEGER);
    expect(seedFromLogs("Using seed: 9007199254740992")).toBeNull();
    expect(seedFromLogs(`Using seed: ${"9".repeat(40)}`)).toBeNull();
  });

  it("does not read part of a number or a word as the seed", () => {
    for (const logs of [
      "Using seed: 12.5",
      "Using seed: 1e9",
      "Using seed: 0x1f",
      "Using seed: 1234abc",
      "Using seed: 1,234",
      "Using seeds: 1, 2, 3",
      "Using seed: None",
    ]) {
      expect(seedFromLogs(logs), logs).toBeNull();
    }
  });

  it("ignores a seed mentioned in passing inside a line", () => {
    expect(seedFromLogs("Loaded LoRA trained with seed: 42\n")).toBeNull();
    expect(seedFromLogs("config = {'steps': 30, 'seed': 9}")).toBeNull();
    expect(seedFromLogs("reseed: 4")).toBeNull();
    expect(seedFromLogs("seed_offset: 3")).toBeNull();
  });

  it("gives null for logs with no seed, empty logs and none at all", () => {
    expect(seedFromLogs(tqdm(30, "\n"))).toBeNull();
    expect(seedFromLogs("")).toBeNull();
    expect(seedFromLogs(null)).toBeNull();
    expect(seedFromLogs(undefined)).toBeNull();
  });

  it("reads only the head of very long logs, and never a seed cut off at its end", () => {
    const head = "x".repeat(64 * 1024 - "Using seed: 12".length);
    expect(seedFromLogs(`${head}Using seed: 1234\n`)).toBeNull();
    expect(seedFromLogs(`Using seed: 77\n${"step\n".repeat(100_000)}`)).toBe(77);
    expect(seedFromLogs(`${"step\n".repeat(20_000)}Using seed: 78\n`)).toBeNull();
  });
});
