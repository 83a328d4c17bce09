/**
 * The local preview model's inputs, declared the way Cog declares a model's
 * (an OpenAPI document with components.schemas.Input), so the same code reads,
 * validates and draws the form for it as for any Replicate model, offline.
 * The names and defaults follow stability-ai/sdxl's, which this model stands in for,
 * image, mask and prompt_strength included, so img2img and inpainting run offline.
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
          image: {
            title: "Image",
            type: "string",
            format: "uri",
            description: "Input image for img2img or inpaint mode. The preview paints over it, as much as Prompt Strength says.",
            "x-order": 2,
          },
          mask: {
            title: "Mask",
            type: "string",
            format: "uri",
            description: "Input mask for inpaint mode. Black areas are kept, white areas are repainted.",
            "x-order": 3,
          },
          width: { title: "Width", type: "integer", default: 1024, minimum: 256, maximum: 1536, description: "Width of the image in pixels.", "x-order": 4 },
          height: { title: "Height", type: "integer", default: 1024, minimum: 256, maximum: 1536, description: "Height of the image in pixels.", "x-order": 5 },
          num_outputs: { title: "Num Outputs", type: "integer", default: 1, minimum: 1, maximum: 4, description: "How many images to make.", "x-order": 6 },
          num_inference_steps: {
            title: "Num Inference Steps",
            type: "integer",
            default: 30,
            minimum: 1,
            maximum: 100,
            description: "How many progress steps the run reports.",
            "x-order": 7,
          },
          guidance_scale: {
            title: "Guidance Scale",
            type: "number",
            default: 7.5,
            minimum: 1,
            maximum: 20,
            description: "Accepted for SDXL's sake; the preview model ignores it.",
            "x-order": 8,
          },
          prompt_strength: {
            title: "Prompt Strength",
            type: "number",
            default: 0.8,
            minimum: 0,
            maximum: 1,
            description: "Prompt strength when using img2img / inpaint. 1.0 corresponds to full destruction of information in image",
            "x-order": 9,
          },
          seed: { title: "Seed", type: "integer", description: "Random seed. Leave blank to randomise.", "x-order": 10 },
        },
      },
      Output: { title: "Output", type: "array", items: { type: "string", format: "uri" } },
    },
  },
} as const;
