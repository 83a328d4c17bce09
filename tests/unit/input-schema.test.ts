import { describe, expect, it } from "vitest";
import { toFieldErrors } from "@/lib/http/read-json-body";
import { MAX_PROMPT_LENGTH } from "@/lib/predictions/input-limits";
import { createPredictionBodySchema, generationInputSchema } from "@/lib/predictions/input-schema";

function fieldsOf(body: unknown) {
  const parsed = createPredictionBodySchema.safeParse(body);
  return parsed.success ? null : toFieldErrors(parsed.error);
}

describe("generation input schema", () => {
  it("fills SDXL defaults and trims the prompt", () => {
    expect(generationInputSchema.parse({ prompt: "  a red fox  " })).toEqual({
      prompt: "a red fox",
      width: 1024,
      height: 1024,
      num_inference_steps: 30,
      guidance_scale: 7.5,
    });
  });

  it("accepts every setting within range", () => {
    const input = {
      prompt: "a lighthouse",
      negative_prompt: "blurry",
      width: 1216,
      height: 832,
      num_inference_steps: 50,
      guidance_scale: 12.5,
      seed: 4_294_967_295,
    };
    expect(generationInputSchema.parse(input)).toEqual(input);
  });

  it.each([
    [{ prompt: "" }, "prompt", "Describe the image you want."],
    [{ prompt: "   " }, "prompt", "Describe the image you want."],
    [{ prompt: "x".repeat(MAX_PROMPT_LENGTH + 1) }, "prompt", "at most 2000"],
    [{ prompt: "bell\u0007" }, "prompt", "control characters"],
    [{ prompt: 42 }, "prompt", "must be text"],
    [{ prompt: "ok", width: 1000 }, "width", "multiple of 64"],
    [{ prompt: "ok", width: 2048 }, "width", "at most 1536"],
    [{ prompt: "ok", height: 128 }, "height", "at least 256"],
    [{ prompt: "ok", height: "1024" }, "height", "must be a number"],
    [{ prompt: "ok", num_inference_steps: 0 }, "num_inference_steps", "at least 1"],
    [{ prompt: "ok", num_inference_steps: 2.5 }, "num_inference_steps", "whole number"],
    [{ prompt: "ok", guidance_scale: 21 }, "guidance_scale", "at most 20"],
    [{ prompt: "ok", seed: -1 }, "seed", "0 or more"],
    [{ prompt: "ok", seed: 2 ** 32 }, "seed", "at most"],
  ])("reports %o as a field error on %s", (input, field, message) => {
    const fields = fieldsOf({ input });
    expect(fields?.[field]?.join(" ")).toContain(message);
  });

  it("keeps newlines in a prompt but refuses other control characters", () => {
    expect(generationInputSchema.parse({ prompt: "line one\nline two" }).prompt).toBe("line one\nline two");
  });

  it("refuses unknown fields by name, inside input and beside it", () => {
    expect(fieldsOf({ input: { prompt: "ok", num_outputs: 4 } })).toEqual({ num_outputs: ["Unknown field: num_outputs."] });
    expect(fieldsOf({ input: { prompt: "ok" }, webhook: "https://evil.example" })).toEqual({
      webhook: ["Unknown field: webhook."],
    });
  });

  it("requires the input object", () => {
    expect(fieldsOf({})).toHaveProperty("input");
    expect(fieldsOf({ prompt: "at the top level" })).toHaveProperty("prompt");
  });
});
