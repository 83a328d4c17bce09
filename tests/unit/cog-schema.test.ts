import { describe, expect, it } from "vitest";
import { readModelInputs } from "@/lib/models/cog-schema";
import { LOCAL_MODEL_SCHEMA } from "@/lib/models/local-model-schema";
import { MODEL_FIXTURES } from "@/tests/fixtures/replicate-models";

const schemaOf = (ref: string) => MODEL_FIXTURES[ref].model.latest_version!.openapi_schema;
const names = (ref: string) => readModelInputs(schemaOf(ref)).fields.map((field) => field.name);

/** A Cog-style document with just the Input schema given. */
function cog(properties: Record<string, unknown>, required: string[] = []) {
  return { components: { schemas: { Input: { type: "object", title: "Input", properties, required } } } };
}

describe("reading a model's inputs from its Cog schema", () => {
  it("orders flux-schnell's inputs by x-order and leaves out the safety switch", () => {
    expect(names("black-forest-labs/flux-schnell")).toEqual([
      "prompt",
      "aspect_ratio",
      "num_outputs",
      "num_inference_steps",
      "seed",
      "output_format",
      "output_quality",
      "go_fast",
      "megapixels",
    ]);
    expect(readModelInputs(schemaOf("black-forest-labs/flux-schnell")).omitted).toEqual([{ name: "disable_safety_checker", reason: "hidden" }]);
  });

  it("resolves an enum written as allOf/$ref, keeping the property's own description and default, titled from its name", () => {
    const aspect = readModelInputs(schemaOf("black-forest-labs/flux-schnell")).fields.find((f) => f.name === "aspect_ratio");
    expect(aspect).toMatchObject({
      kind: "enum",
      title: "Aspect ratio",
      description: "Aspect ratio for the generated image",
      default: "1:1",
      required: false,
    });
    expect(aspect?.options).toEqual(["1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21"]);
  });

  it("reads types, ranges, defaults and required from SDXL, narrowing the seed and sides to the app's ranges", () => {
    const { fields, omitted, unavailableReason } = readModelInputs(schemaOf("stability-ai/sdxl"));
    const byName = Object.fromEntries(fields.map((f) => [f.name, f]));
    // SDXL defaults its prompt and so does not require one; this app always asks for a prompt.
    expect(byName.prompt).toMatchObject({ kind: "string", required: true, default: "An astronaut riding a rainbow unicorn", maxLength: 2000 });
    expect(byName.width).toMatchObject({ kind: "integer", default: 1024, minimum: 256, maximum: 2048 });
    expect(byName.num_inference_steps).toMatchObject({ kind: "integer", minimum: 1, maximum: 500, default: 50 });
    expect(byName.guidance_scale).toMatchObject({ kind: "number", minimum: 1, maximum: 50, default: 7.5 });
    expect(byName.apply_watermark).toMatchObject({ kind: "boolean", default: true });
    expect(byName.seed).toMatchObject({ kind: "integer", minimum: 0, maximum: 2 ** 32 - 1 });
    expect(byName.seed).not.toHaveProperty("default");
    expect(omitted).toEqual(
      expect.arrayContaining([
        { name: "replicate_weights", reason: "hidden" },
        { name: "disable_safety_checker", reason: "hidden" },
      ]),
    );
    expect(byName.image).toMatchObject({ kind: "image", required: false, title: "Image" });
    expect(byName.mask).toMatchObject({ kind: "image", required: false });
    expect(byName.image).not.toHaveProperty("maxLength");
    expect(unavailableReason).toBeNull();
  });

  it("offers a required file input as an image input, so a model that needs one is usable", () => {
    const upscaler = cog({ image: { type: "string", format: "uri", title: "Image", "x-order": 0 }, scale: { type: "integer", default: 4 } }, ["image"]);
    const { fields, unavailableReason } = readModelInputs(upscaler);
    expect(fields.map((f) => [f.name, f.kind, f.required])).toEqual([
      ["image", "image", true],
      ["scale", "integer", false],
    ]);
    expect(unavailableReason).toBeNull();
  });

  it("reads flux-dev's image and flux-1.1-pro's image_prompt as image inputs", () => {
    expect(readModelInputs(schemaOf("black-forest-labs/flux-dev")).fields.find((f) => f.name === "image")).toMatchObject({ kind: "image" });
    expect(readModelInputs(schemaOf("black-forest-labs/flux-1.1-pro")).fields.find((f) => f.name === "image_prompt")).toMatchObject({ kind: "image" });
  });

  it("still leaves out a list of files, and hides uri inputs that load weights", () => {
    const schema = cog({ prompt: { type: "string" }, images: { type: "array", items: { type: "string", format: "uri" } }, lora_weights: { type: "string", format: "uri" } }, ["prompt"]);
    expect(readModelInputs(schema).omitted).toEqual([
      { name: "images", reason: "unsupported" },
      { name: "lora_weights", reason: "hidden" },
    ]);
  });

  it("hides secrets (format: password) and calls a model that requires one unavailable", () => {
    const schema = cog({ prompt: { type: "string" }, api_key: { type: "string", format: "password" } }, ["prompt", "api_key"]);
    const inputs = readModelInputs(schema);
    expect(inputs.fields.map((f) => f.name)).toEqual(["prompt"]);
    expect(inputs.omitted).toEqual([{ name: "api_key", reason: "hidden" }]);
    expect(inputs.unavailableReason).toMatch(/an input this app does not offer \(api_key\)/);
  });

  it("says so when a schema has no inputs it can read", () => {
    expect(readModelInputs({ openapi: "3.0.2" }).unavailableReason).toMatch(/no inputs this app can read/);
    expect(readModelInputs(null).fields).toEqual([]);
  });

  it("keeps a model's own narrower size limits (sdxl-lightning: 256 to 1280)", () => {
    const width = readModelInputs(schemaOf("bytedance/sdxl-lightning-4step")).fields.find((f) => f.name === "width");
    expect(width).toMatchObject({ minimum: 256, maximum: 1280 });
  });

  it("reads the local preview model's own schema the same way", () => {
    const { fields, unavailableReason } = readModelInputs(LOCAL_MODEL_SCHEMA);
    expect(fields.map((f) => f.name)).toEqual([
      "prompt",
      "negative_prompt",
      "image",
      "mask",
      "width",
      "height",
      "num_outputs",
      "num_inference_steps",
      "guidance_scale",
      "prompt_strength",
      "seed",
    ]);
    expect(unavailableReason).toBeNull();
  });

  it.each(Object.keys(MODEL_FIXTURES))("finds every fixture model usable without file inputs: %s", (ref) => {
    const { fields, unavailableReason } = readModelInputs(schemaOf(ref));
    expect(unavailableReason).toBeNull();
    expect(fields.some((f) => f.name === "prompt")).toBe(true);
  });
});
