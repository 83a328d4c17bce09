/**
 * The local preview model's inputs, declared the way Cog declares a model's
 * (an OpenAPI document with components.schemas.Input), so the same code reads,
 * validates and draws the form for it as for any Replicate model, offline.
 * The names and defaults follow stability-ai/sdxl's, which this model stands in for.
 */
export const LOCAL_MODEL_SCHEMA = {
  openapi: "3.0.2",
  info: { title: "Local preview model", version: "0.1.0" },
  paths: {},
  components: {
    schemas: {
      Input: {
        title: "Input",
        type: "object",
        required: ["prompt"],
        properties: {
          prompt: { title: "Prompt", type: "string", description: "What the image should show.", "x-order": 0 },
          negative_prompt: {
            title: "Negative Prompt",
            type: "string",
            default: "",
            description: "What the image should not show. The preview model only mixes it into its colours.",
            "x-order": 1,
          },
          width: { title: "Width", type: "integer", default: 1024, minimum: 256, maximum: 1536, description: "Width of the image in pixels.", "x-order": 2 },
          height: { title: "Height", type: "integer", default: 1024, minimum: 256, maximum: 1536, description: "Height of the image in pixels.", "x-order": 3 },
          num_outputs: { title: "Num Outputs", type: "integer", default: 1, minimum: 1, maximum: 4, description: "How many images to make.", "x-order": 4 },
          num_inference_steps: {
            title: "Num Inference Steps",
            type: "integer",
            default: 30,
            minimum: 1,
            maximum: 100,
            description: "How many progress steps the run reports.",
            "x-order": 5,
          },
          guidance_scale: {
            title: "Guidance Scale",
            type: "number",
            default: 7.5,
            minimum: 1,
            maximum: 20,
            description: "Accepted for SDXL's sake; the preview model ignores it.",
            "x-order": 6,
          },
          seed: { title: "Seed", type: "integer", description: "Random seed. Leave blank to randomise.", "x-order": 7 },
        },
      },
      Output: { title: "Output", type: "array", items: { type: "string", format: "uri" } },
    },
  },
} as const;
