// @vitest-environment jsdom
import { cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { SWRConfig } from "swr";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { GenerateForm, type GenerateFormProps } from "@/components/generate/generate-form";
import { readModelInputs } from "@/lib/models/cog-schema";
import type { ModelOption } from "@/lib/models/input-fields";
import type { ImageView, PredictionView, SaveImageResult } from "@/lib/predictions/types";

// The notices' links (sign in again, the gallery) move through the App Router (components/ui/app-link.tsx).
const router = vi.hoisted(() => ({ push: vi.fn() }));
vi.mock("next/navigation", () => ({ useRouter: () => router }));

const PROMPT = "A red fox asleep in fresh snow";
const POLL_MS = 50;

/**
 * Cog-style schemas in the shape Replicate publishes them (components.schemas.Input,
 * enums through allOf/$ref), trimmed to what the form reads. Modelled on
 * black-forest-labs/flux-schnell and stability-ai/sdxl.
 */
const enumSchema = (name: string, values: (string | number)[]) => ({ title: name, description: "An enumeration.", enum: values, type: typeof values[0] === "number" ? "integer" : "string" });

const FLUX_SCHEMA = {
  components: {
    schemas: {
      Input: {
        type: "object",
        required: ["prompt"],
        properties: {
          prompt: { type: "string", title: "Prompt", description: "Prompt for generated image", "x-order": 0 },
          aspect_ratio: { allOf: [{ $ref: "#/components/schemas/aspect_ratio" }], default: "1:1", description: "Aspect ratio for the generated image", "x-order": 1 },
          num_outputs: { type: "integer", title: "Num Outputs", default: 1, minimum: 1, maximum: 4, description: "Number of outputs to generate", "x-order": 2 },
          num_inference_steps: { type: "integer", title: "Num Inference Steps", default: 4, minimum: 1, maximum: 4, description: "Number of denoising steps.", "x-order": 3 },
          seed: { type: "integer", title: "Seed", description: "Random seed. Set for reproducible generation", "x-order": 4 },
          output_format: { allOf: [{ $ref: "#/components/schemas/output_format" }], default: "webp", description: "Format of the output images", "x-order": 5 },
          output_quality: { type: "integer", title: "Output Quality", default: 80, minimum: 0, maximum: 100, description: "Quality when saving the output images", "x-order": 6 },
          disable_safety_checker: { type: "boolean", title: "Disable Safety Checker", default: false, "x-order": 7 },
          go_fast: { type: "boolean", title: "Go Fast", default: true, description: "Run faster predictions with an optimised model.", "x-order": 8 },
          megapixels: { allOf: [{ $ref: "#/components/schemas/megapixels" }], default: "1", description: "Approximate number of megapixels for generated image", "x-order": 9 },
        },
      },
      aspect_ratio: enumSchema("aspect_ratio", ["1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21"]),
      output_format: enumSchema("output_format", ["webp", "jpg", "png"]),
      megapixels: enumSchema("megapixels", ["1", "0.25"]),
    },
  },
};

const SDXL_SCHEMA = {
  components: {
    schemas: {
      Input: {
        type: "object",
        properties: {
          prompt: { type: "string", title: "Prompt", default: "An astronaut riding a rainbow unicorn", description: "Input prompt", "x-order": 0 },
          negative_prompt: { type: "string", title: "Negative Prompt", default: "", description: "Input Negative Prompt", "x-order": 1 },
          image: { type: "string", format: "uri", title: "Image", description: "Input image for img2img or inpaint mode", "x-order": 2 },
          width: { type: "integer", title: "Width", default: 1024, description: "Width of output image", "x-order": 4 },
          height: { type: "integer", title: "Height", default: 1024, description: "Height of output image", "x-order": 5 },
          num_outputs: { type: "integer", title: "Num Outputs", default: 1, minimum: 1, maximum: 4, description: "Number of images to output.", "x-order": 6 },
          scheduler: { allOf: [{ $ref: "#/components/schemas/scheduler" }], default: "K_EULER", description: "scheduler", "x-order": 7 },
          num_inference_steps: { type: "integer", title: "Num Inference Steps", default: 50, minimum: 1, maximum: 500, description: "Number of denoising steps", "x-order": 8 },
          guidance_scale: { type: "number", title: "Guidance Scale", default: 7.5, minimum: 1, maximum: 50, description: "Scale for classifier-free guidance", "x-order": 9 },
          prompt_strength: { type: "number", title: "Prompt Strength", default: 0.8, minimum: 0, maximum: 1, description: "Prompt strength when using img2img / inpaint.", "x-order": 10 },
          seed: { type: "integer", title: "Seed", description: "Random seed. Leave blank to randomize the seed", "x-order": 11 },
          refine: { allOf: [{ $ref: "#/components/schemas/refine" }], default: "no_refiner", description: "Which refine style to use", "x-order": 12 },
          high_noise_frac: { type: "number", title: "High Noise Frac", default: 0.8, minimum: 0, maximum: 1, description: "For expert_ensemble_refiner, the fraction of noise to use", "x-order": 13 },
          apply_watermark: { type: "boolean", title: "Apply Watermark", default: true, description: "Applies a watermark to enable determining if an image is generated.", "x-order": 15 },
        },
      },
      scheduler: enumSchema("scheduler", ["DDIM", "DPMSolverMultistep", "HeunDiscrete", "KarrasDPM", "K_EULER_ANCESTRAL", "K_EULER", "PNDM"]),
      refine: enumSchema("refine", ["no_refiner", "expert_ensemble_refiner", "base_image_refiner"]),
    },
  },
};

function modelOption(key: string, displayName: string, schema: unknown, overrides: Partial<ModelOption> = {}): ModelOption {
  const { fields, unavailableReason } = readModelInputs(schema);
  return { key, displayName, isLocalPreview: false, available: unavailableReason === null, unavailableReason, fields, ...overrides };
}

const FLUX = modelOption("black-forest-labs/flux-schnell", "FLUX.1 [schnell]", FLUX_SCHEMA);
const SDXL = modelOption("stability-ai/sdxl:7762fd07", "Stable Diffusion XL", SDXL_SCHEMA);

const server = setupServer();
let nativeFetch: typeof fetch;

beforeAll(async () => {
  // The form loads these lazily; transforming them on first use can outlast a
  // waitFor under load, so the test run does it once, up front.
  await Promise.all([import("@/components/generate/prediction-run"), import("@/components/generate/mask-canvas")]);
  // jsdom has no CSS.escape; user-event uses it to find a radio group's other buttons.
  globalThis.CSS ??= { escape: (value: string) => value.replace(/[^\w-]/g, (c) => `\\${c}`) } as typeof CSS;
  server.listen({ onUnhandledRequest: "error" });
  // Node's fetch has no page to resolve "/api/..." against; the browser does. Wrap it after
  // msw has patched fetch so msw still sees every request, with an absolute URL.
  nativeFetch = globalThis.fetch;
  globalThis.fetch = (input, init) =>
    nativeFetch(typeof input === "string" && input.startsWith("/") ? new URL(input, window.location.origin) : input, init);
});
afterEach(() => {
  cleanup();
  server.resetHandlers();
});
afterAll(() => {
  globalThis.fetch = nativeFetch;
  server.close();
});

function prediction(overrides: Partial<PredictionView> = {}): PredictionView {
  return {
    id: "pred_1",
    status: "starting",
    progress: null,
    progressIsEstimate: false,
    error: null,
    model: FLUX.key,
    modelName: FLUX.displayName,
    modelKey: FLUX.key,
    input: { prompt: PROMPT, aspect_ratio: "1:1", num_outputs: 1 },
    seed: null,
    created_at: new Date().toISOString(),
    started_at: null,
    completed_at: null,
    expectedImages: 1,
    images: [],
    ...overrides,
  };
}

const imageView = (index: number, overrides: Partial<ImageView> = {}): ImageView => ({
  id: `img_${index}`,
  index,
  url: `/api/files/u/p-${index}.webp`,
  downloadUrl: `/api/files/u/p-${index}.webp?download=a-prompt.webp`,
  width: 1024,
  height: 1024,
  ...overrides,
});

function renderForm(props: Partial<GenerateFormProps> = {}) {
  const saveImage = props.saveImage ?? vi.fn<(id: string) => Promise<SaveImageResult>>();
  render(
    // A fresh cache per test, so one test's prediction never shows up in another.
    <SWRConfig value={{ provider: () => new Map() }}>
      <GenerateForm models={[FLUX, SDXL]} saveImage={saveImage} pollIntervalMs={POLL_MS} {...props} />
    </SWRConfig>,
  );
  return { user: userEvent.setup(), saveImage };
}

/** Answers the create with `created` and each poll with whatever `current()` says, recording what was sent. */
function serve(created: PredictionView, current: () => PredictionView = () => created) {
  const posted: unknown[] = [];
  const polls = { count: 0 };
  server.use(
    http.post("*/api/replicate", async ({ request }) => {
      posted.push(await request.json());
      return HttpResponse.json(created, { status: 201 });
    }),
    http.get("*/api/replicate/:id", () => {
      polls.count += 1;
      return HttpResponse.json(current());
    }),
  );
  return { posted, polls };
}

const promptBox = () => screen.getByRole("textbox", { name: /^prompt/i }) as HTMLTextAreaElement;
const generateButton = () => screen.getByRole("button", { name: /generate/i }) as HTMLButtonElement;
const advanced = () => screen.getByText("Advanced settings").closest("details") as HTMLDetailsElement;
const progressBar = () => screen.getByRole("progressbar");
/** The announced status line ("Status: Generating"); the step list below the bar repeats the stage names. */
const statusLine = () => screen.getByRole("region", { name: "Generation status" }).querySelector("[aria-live]")?.textContent;
const placeholders = () => screen.queryAllByRole("img", { name: /not ready yet/ });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function descriptionOf(element: Element): string {
  return (element.getAttribute("aria-describedby") ?? "")
    .split(" ")
    .map((id) => document.getElementById(id)?.textContent ?? "")
    .join(" ");
}

/** The controls in the order a person tabs through them: role and accessible name. */
function controlsIn(container: HTMLElement): string[] {
  return [...container.querySelectorAll<HTMLElement>("textarea, select, input:not([type=range]), button[role=switch], fieldset")]
    .filter((element) => !(element instanceof HTMLInputElement && element.type === "radio"))
    .map((element) => {
      if (element.tagName === "FIELDSET") return `group:${element.querySelector("legend")?.textContent}`;
      const label = (element as HTMLInputElement).labels?.[0]?.textContent;
      const kind = element.getAttribute("role") ?? (element.tagName === "INPUT" ? (element as HTMLInputElement).type : element.tagName.toLowerCase());
      return `${kind}:${label}`;
    });
}

describe("GenerateForm: drawn from the model's schema", () => {
  it("draws flux-schnell's inputs with fitting controls, labels, help and defaults", () => {
    renderForm({ models: [FLUX] });

    const form = promptBox().closest("form") as HTMLFormElement;
    // Prompt first, then the model's own order.
    expect(controlsIn(form)).toEqual([
      "group:Image settings",
      "textarea:Prompt",
      "group:Aspect ratio",
      "group:Num Outputs",
      "number:Num Inference Steps",
      "number:Seed",
      "select:Output format",
      "number:Output Quality",
      "switch:Go Fast",
      "select:Megapixels",
    ]);
    // The rarely used ones are folded away.
    expect(controlsIn(advanced())).toEqual([
      "number:Num Inference Steps",
      "number:Seed",
      "select:Output format",
      "number:Output Quality",
      "switch:Go Fast",
      "select:Megapixels",
    ]);
    expect(advanced().open).toBe(false);
    // The safety checker is never offered.
    expect(screen.queryByText(/safety/i)).toBeNull();
    // No negative prompt: flux has none.
    expect(screen.queryByRole("textbox", { name: /negative prompt/i })).toBeNull();

    // Aspect ratio: one radio per declared ratio, the default chosen.
    const ratios = within(screen.getByRole("group", { name: "Aspect ratio" })).getAllByRole("radio");
    expect(ratios.map((radio) => (radio as HTMLInputElement).value)).toEqual(["1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21"]);
    expect(screen.getByRole("radio", { name: "1:1" }).matches(":checked")).toBe(true);
    expect(descriptionOf(screen.getByRole("group", { name: "Aspect ratio" }))).toContain("Aspect ratio for the generated image");

    // Number of images: a segmented choice over its own range.
    const outputs = within(screen.getByRole("group", { name: "Num Outputs" })).getAllByRole("radio");
    expect(outputs.map((radio) => radio.getAttribute("value"))).toEqual(["1", "2", "3", "4"]);
    expect(screen.getByRole("radio", { name: "1" }).matches(":checked")).toBe(true);

    // Bounded numbers: a number box (the slider beside it is for pointers) within the schema's range.
    const steps = screen.getByRole("spinbutton", { name: "Num Inference Steps" }) as HTMLInputElement;
    expect([steps.value, steps.min, steps.max]).toEqual(["4", "1", "4"]);
    expect(descriptionOf(steps)).toContain("Number of denoising steps.");
    const quality = screen.getByRole("spinbutton", { name: "Output Quality" }) as HTMLInputElement;
    expect([quality.value, quality.min, quality.max]).toEqual(["80", "0", "100"]);
    expect((quality.parentElement?.querySelector("input[type=range]") as HTMLInputElement).value).toBe("80");

    // Seed: blank is random.
    const seed = screen.getByRole("spinbutton", { name: "Seed" }) as HTMLInputElement;
    expect(seed.value).toBe("");
    expect(seed.placeholder).toBe("Random");

    // Enums: selects with the default chosen; booleans: switches.
    expect((screen.getByRole("combobox", { name: "Output format" }) as HTMLSelectElement).value).toBe("webp");
    expect((screen.getByRole("combobox", { name: "Megapixels" }) as HTMLSelectElement).value).toBe("1");
    const goFast = screen.getByRole("switch", { name: "Go Fast" });
    expect(goFast.getAttribute("aria-checked")).toBe("true");
    expect(descriptionOf(goFast)).toContain("Run faster predictions");

    // One model: named, no picker.
    expect(screen.queryByRole("combobox", { name: "Model" })).toBeNull();
    expect(screen.getByText("FLUX.1 [schnell]")).toBeTruthy();
  });

  it("draws SDXL's inputs: a negative prompt, width and height in steps of 8, sliders for bounded numbers", () => {
    renderForm({ models: [SDXL] });

    expect(promptBox().value).toBe("An astronaut riding a rainbow unicorn");
    const negative = screen.getByRole("textbox", { name: "Negative Prompt" });
    expect(advanced().contains(negative)).toBe(false);
    for (const name of ["Width", "Height"]) {
      const box = screen.getByRole("spinbutton", { name }) as HTMLInputElement;
      expect([box.value, box.step]).toEqual(["1024", "8"]);
      expect(advanced().contains(box)).toBe(false);
    }
    // No aspect ratio on SDXL; its image input is an image picker in the main part.
    expect(screen.queryByRole("group", { name: "Aspect ratio" })).toBeNull();
    const picker = screen.getByRole("group", { name: /^Image\s*\(optional\)$/ });
    expect(advanced().contains(picker)).toBe(false);
    expect(within(picker).getByRole("button", { name: "Choose a file…" })).toBeTruthy();

    const folded = within(advanced());
    expect((folded.getByRole("combobox", { name: "Scheduler" }) as HTMLSelectElement).value).toBe("K_EULER");
    expect(folded.getAllByRole("option").map((option) => option.textContent).slice(0, 7)).toEqual([
      "DDIM",
      "DPMSolverMultistep",
      "HeunDiscrete",
      "KarrasDPM",
      "K_EULER_ANCESTRAL",
      "K_EULER",
      "PNDM",
    ]);
    const guidance = folded.getByRole("spinbutton", { name: "Guidance Scale" }) as HTMLInputElement;
    expect([guidance.value, guidance.min, guidance.max]).toEqual(["7.5", "1", "50"]);
    expect((folded.getByRole("spinbutton", { name: "Prompt Strength" }) as HTMLInputElement).value).toBe("0.8");
    expect(folded.getByRole("switch", { name: "Apply Watermark" }).getAttribute("aria-checked")).toBe("true");
  });

  it("keeps the slider and its number box on one value, and toggles switches from the keyboard", async () => {
    const { user } = renderForm({ models: [SDXL] });
    const steps = screen.getByRole("spinbutton", { name: "Num Inference Steps" }) as HTMLInputElement;
    await user.clear(steps);
    await user.type(steps, "120");
    expect((steps.parentElement?.querySelector("input[type=range]") as HTMLInputElement).value).toBe("120");

    const watermark = screen.getByRole("switch", { name: "Apply Watermark" });
    watermark.focus();
    await user.keyboard(" ");
    expect(watermark.getAttribute("aria-checked")).toBe("false");
    await user.keyboard("{Enter}");
    expect(watermark.getAttribute("aria-checked")).toBe("true");
  });

  it("moves between aspect ratios with the arrow keys", async () => {
    const { user } = renderForm({ models: [FLUX] });
    screen.getByRole("radio", { name: "1:1" }).focus();
    await user.keyboard("{ArrowRight}");
    expect(screen.getByRole("radio", { name: "16:9" }).matches(":checked")).toBe(true);
  });
});

describe("GenerateForm: the model picker", () => {
  it("keeps the prompt, seed and number of images when switching models, and resets what the new model lacks", async () => {
    const { user } = renderForm();
    const picker = screen.getByRole("combobox", { name: "Model" }) as HTMLSelectElement;
    expect(picker.value).toBe(FLUX.key);

    await user.type(promptBox(), PROMPT);
    await user.click(screen.getByRole("radio", { name: "16:9" }));
    await user.click(screen.getByRole("radio", { name: "2" }));
    await user.click(screen.getByText("Advanced settings"));
    await user.type(screen.getByRole("spinbutton", { name: "Seed" }), "42");

    await user.selectOptions(picker, SDXL.key);
    expect(promptBox().value).toBe(PROMPT);
    expect((screen.getByRole("spinbutton", { name: "Seed" }) as HTMLInputElement).value).toBe("42");
    expect(screen.getByRole("radio", { name: "2" }).matches(":checked")).toBe(true);
    expect(screen.getByRole("textbox", { name: "Negative Prompt" })).toBeTruthy();
    expect(screen.queryByRole("group", { name: "Aspect ratio" })).toBeNull();
    // flux's 4 steps was its default, not a choice: SDXL starts from its own.
    expect((screen.getByRole("spinbutton", { name: "Num Inference Steps" }) as HTMLInputElement).value).toBe("50");

    // Back to flux: the ratio SDXL never had starts from flux's default again.
    await user.selectOptions(picker, FLUX.key);
    expect(screen.getByRole("radio", { name: "1:1" }).matches(":checked")).toBe(true);
    expect(promptBox().value).toBe(PROMPT);
    expect(screen.queryByRole("textbox", { name: /negative prompt/i })).toBeNull();
  });

  it("lists an unavailable model as disabled, with its reason", () => {
    const broken = modelOption("acme/img2img", "Acme img2img", SDXL_SCHEMA, {
      available: false,
      unavailableReason: "This model needs an image or file input (image), which this app cannot send yet.",
      fields: [],
    });
    renderForm({ models: [FLUX, broken] });
    const option = screen.getByRole("option", { name: /Acme img2img/ }) as HTMLOptionElement;
    expect(option.disabled).toBe(true);
    expect(descriptionOf(screen.getByRole("combobox", { name: "Model" }))).toContain(
      "Acme img2img is unavailable: This model needs an image or file input (image)",
    );
    expect(generateButton().disabled).toBe(false);
  });

  it("disables Generate and says why when no model can be used", () => {
    const reason = "The model's published schema has no inputs this app can read.";
    renderForm({
      models: [
        { ...FLUX, available: false, unavailableReason: reason, fields: [] },
        { ...SDXL, available: false, unavailableReason: "Replicate did not answer for this model.", fields: [] },
      ],
    });
    const notice = screen.getByRole("note", { name: "No model available" });
    expect(notice.textContent).toContain("No model can be used right now");
    expect(notice.textContent).toContain(`FLUX.1 [schnell]: ${reason}`);
    expect(notice.textContent).toContain("Stable Diffusion XL: Replicate did not answer for this model.");
    expect(generateButton().disabled).toBe(true);
    expect(screen.queryByRole("textbox", { name: /prompt/i })).toBeNull();
  });

  it("starts on the model and values of reused settings, dropping values that no longer fit", () => {
    renderForm({ initialModelKey: SDXL.key, initialInput: { prompt: PROMPT, seed: 7, num_inference_steps: 9999, scheduler: "DDIM" } });
    expect((screen.getByRole("combobox", { name: "Model" }) as HTMLSelectElement).value).toBe(SDXL.key);
    expect(promptBox().value).toBe(PROMPT);
    expect((screen.getByRole("spinbutton", { name: "Seed" }) as HTMLInputElement).value).toBe("7");
    expect((screen.getByRole("combobox", { name: "Scheduler" }) as HTMLSelectElement).value).toBe("DDIM");
    expect((screen.getByRole("spinbutton", { name: "Num Inference Steps" }) as HTMLInputElement).value).toBe("50");
  });

  it("explains the local preview model plainly", () => {
    renderForm({ models: [{ ...FLUX, key: "local-preview", displayName: "Local preview", isLocalPreview: true }] });
    const notice = screen.getByRole("note", { name: "Local preview model" });
    expect(notice.textContent).toMatch(/abstract placeholders drawn from your prompt and seed.*It is not a\s+real image model/);
    expect(notice.textContent).toContain("REPLICATE_API_TOKEN");
  });
});

describe("GenerateForm: checking and sending", () => {
  it("sends the model's key and only the fields with values: defaults included, a blank seed left out", async () => {
    const { posted } = serve(prediction());
    const { user } = renderForm();
    await user.type(promptBox(), PROMPT);
    await user.click(generateButton());

    await waitFor(() => expect(posted).toHaveLength(1));
    expect(posted[0]).toEqual({
      model: FLUX.key,
      input: {
        prompt: PROMPT,
        aspect_ratio: "1:1",
        num_outputs: 1,
        num_inference_steps: 4,
        output_format: "webp",
        output_quality: 80,
        go_fast: true,
        megapixels: "1",
      },
    });
  });

  it("converts what was typed to each field's type, and sends a chosen seed", async () => {
    const { posted } = serve(prediction({ modelKey: SDXL.key }));
    const { user } = renderForm({ models: [SDXL] });
    await user.clear(promptBox());
    await user.type(promptBox(), PROMPT);
    await user.type(screen.getByRole("textbox", { name: "Negative Prompt" }), "blurry");
    await user.click(screen.getByRole("radio", { name: "3" }));
    await user.click(screen.getByText("Advanced settings"));
    await user.type(screen.getByRole("spinbutton", { name: "Seed" }), "42");
    const guidance = screen.getByRole("spinbutton", { name: "Guidance Scale" });
    await user.clear(guidance);
    await user.type(guidance, "12.5");
    await user.click(screen.getByRole("switch", { name: "Apply Watermark" }));
    await user.click(generateButton());

    await waitFor(() => expect(posted).toHaveLength(1));
    expect(posted[0]).toEqual({
      model: SDXL.key,
      input: {
        prompt: PROMPT,
        negative_prompt: "blurry",
        width: 1024,
        height: 1024,
        num_outputs: 3,
        scheduler: "K_EULER",
        num_inference_steps: 50,
        guidance_scale: 12.5,
        prompt_strength: 0.8,
        seed: 42,
        refine: "no_refiner",
        high_noise_frac: 0.8,
        apply_watermark: false,
      },
    });
  });

  it("refuses an out-of-range number before sending anything, with the shared message, and opens Advanced settings", async () => {
    const posted = serve(prediction()).posted;
    const { user } = renderForm({ models: [SDXL] });
    await user.click(screen.getByText("Advanced settings"));
    const guidance = screen.getByRole("spinbutton", { name: "Guidance Scale" });
    await user.clear(guidance);
    await user.type(guidance, "80");
    // Fold it again: the error must bring it back into view.
    await user.click(screen.getByText("Advanced settings"));
    expect(advanced().open).toBe(false);
    await user.click(generateButton());

    expect(guidance.getAttribute("aria-invalid")).toBe("true");
    expect(descriptionOf(guidance)).toContain("Guidance Scale must be at most 50.");
    expect(advanced().open).toBe(true);
    expect(within(advanced()).getByText("Needs attention")).toBeTruthy();
    const summary = screen.getByRole("alert");
    expect(summary.textContent).toContain("Guidance Scale: Guidance Scale must be at most 50.");
    expect(document.activeElement).toBe(summary);

    // The summary's link takes focus to the field.
    await user.click(within(summary).getByRole("link"));
    expect(document.activeElement).toBe(guidance);

    await sleep(POLL_MS * 2);
    expect(posted).toEqual([]);
    expect(screen.queryByRole("region", { name: "Generation status" })).toBeNull();

    // Correcting it clears the field's message.
    await user.clear(guidance);
    await user.type(guidance, "9");
    expect(guidance.getAttribute("aria-invalid")).toBeNull();
  });

  it("asks for a prompt before sending anything", async () => {
    const { user } = renderForm();
    await user.click(generateButton());
    expect(descriptionOf(promptBox())).toContain("Describe the image you want.");
    expect(screen.queryByRole("region", { name: "Generation status" })).toBeNull();
  });

  it("puts a 422's field errors on their fields and lists the ones the form does not show", async () => {
    server.use(
      http.post("*/api/replicate", () =>
        HttpResponse.json(
          {
            error: {
              code: "invalid_input",
              message: "Check the highlighted fields.",
              fields: {
                prompt: ["Prompt must not contain control characters."],
                megapixels: ["Megapixels must be one of: 1, 0.25."],
                lora_scale: ["lora_scale cannot be set in this app."],
              },
            },
          },
          { status: 422 },
        ),
      ),
    );
    const { user } = renderForm();
    await user.type(promptBox(), PROMPT);
    await user.click(generateButton());

    await waitFor(() => expect(promptBox().getAttribute("aria-invalid")).toBe("true"));
    expect(descriptionOf(promptBox())).toContain("Prompt must not contain control characters.");
    const megapixels = screen.getByRole("combobox", { name: "Megapixels" });
    expect(descriptionOf(megapixels)).toContain("Megapixels must be one of: 1, 0.25.");
    expect(advanced().open).toBe(true);
    const summary = screen.getByRole("alert");
    expect(within(summary).getAllByRole("listitem").map((item) => item.textContent)).toEqual([
      "Prompt: Prompt must not contain control characters.",
      "Megapixels: Megapixels must be one of: 1, 0.25.",
      "lora_scale cannot be set in this app.",
    ]);
    expect(promptBox().value).toBe(PROMPT);
    expect(promptBox().matches(":disabled")).toBe(false);
  });

  it("says the model is not available when the server answers model_unavailable", async () => {
    server.use(
      http.post("*/api/replicate", () =>
        HttpResponse.json({ error: { code: "model_unavailable", message: "Replicate no longer serves this model version." } }, { status: 503 }),
      ),
    );
    const { user } = renderForm();
    await user.type(promptBox(), PROMPT);
    await user.click(generateButton());

    const notice = await screen.findByRole("alert");
    expect(notice.textContent).toContain("This model is not available right now");
    expect(notice.textContent).toContain("Replicate no longer serves this model version.");
  });

  it("asks to sign in again when the session has expired", async () => {
    server.use(http.post("*/api/replicate", () => HttpResponse.json({ error: { code: "unauthorized", message: "Sign in first." } }, { status: 401 })));
    const { user } = renderForm();
    await user.type(promptBox(), PROMPT);
    await user.click(generateButton());

    const notice = await screen.findByRole("alert");
    expect(notice.textContent).toContain("Your session has expired. Sign in again.");
    expect(screen.getByRole("link", { name: "Sign in" }).getAttribute("href")).toBe("/login?next=%2Fdashboard%2Fgenerate");
  });

  it("says how long to wait when rate limited", async () => {
    server.use(
      http.post("*/api/replicate", () =>
        HttpResponse.json({ error: { code: "rate_limited", message: "Too many images at once." } }, { status: 429, headers: { "retry-after": "12" } }),
      ),
    );
    const { user } = renderForm();
    await user.type(promptBox(), PROMPT);
    await user.click(generateButton());
    expect((await screen.findByRole("alert")).textContent).toContain("Too many images at once. Try again in 12 seconds.");
  });

  it("explains a network failure in words", async () => {
    server.use(http.post("*/api/replicate", () => HttpResponse.error()));
    const { user } = renderForm();
    await user.type(promptBox(), PROMPT);
    await user.click(generateButton());
    expect((await screen.findByRole("alert")).textContent).toContain("Could not reach the server.");
    expect(promptBox().matches(":disabled")).toBe(false);
  });
});

describe("GenerateForm: following the prediction", () => {
  it("holds a place per expected image and fills them as they are saved, then stops polling", async () => {
    const two = { expectedImages: 2, input: { prompt: PROMPT, aspect_ratio: "16:9", num_outputs: 2 } };
    let current = prediction(two);
    const { polls } = serve(current, () => current);
    let finishSave: (result: SaveImageResult) => void = () => {};
    const saveImage = vi.fn(() => new Promise<SaveImageResult>((resolve) => (finishSave = resolve)));
    const { user } = renderForm({ saveImage });
    await user.type(promptBox(), PROMPT);
    await user.click(screen.getByRole("radio", { name: "2" }));
    await user.click(generateButton());

    await waitFor(() => expect(placeholders()).toHaveLength(2));
    expect(placeholders().map((p) => p.getAttribute("aria-label"))).toEqual(["Image 1 of 2, not ready yet", "Image 2 of 2, not ready yet"]);
    // Shaped like what was asked for.
    expect((placeholders()[0] as HTMLElement).style.aspectRatio).toMatch(/^1\.77/);
    expect(statusLine()).toBe("Status: Queued");
    expect(document.activeElement).toBe(screen.getByRole("region", { name: "Generation status" }));
    expect(promptBox().matches(":disabled")).toBe(true);

    current = prediction({ ...two, status: "processing", progress: 0.4, started_at: new Date().toISOString() });
    await waitFor(() => expect(progressBar().getAttribute("aria-valuenow")).toBe("40"));
    expect(progressBar().getAttribute("aria-valuetext")).toBe("40% — generating");
    expect(screen.queryByText(/Estimated/)).toBeNull();

    // The first image was saved (by the webhook, say) while the second is still on its way.
    current = prediction({ ...two, status: "succeeded", progress: 1, images: [imageView(0, { width: 1344, height: 768 })] });
    await waitFor(() => expect(placeholders()).toHaveLength(1));
    const first = screen.getByRole("img", { name: `${PROMPT} (image 1 of 2)` });
    expect([first.getAttribute("width"), first.getAttribute("height")]).toEqual(["1344", "768"]);
    expect(screen.getByText("1344 × 768")).toBeTruthy();
    const download = screen.getByRole("link", { name: `Download ${PROMPT} (image 1 of 2)` });
    expect(download.getAttribute("href")).toBe("/api/files/u/p-0.webp?download=a-prompt.webp");
    expect(statusLine()).toBe("Status: Saving");
    await waitFor(() => expect(saveImage).toHaveBeenCalledWith("pred_1"));

    finishSave({ ok: true, images: [imageView(0, { width: 1344, height: 768 }), imageView(1, { width: 1344, height: 768 })] });
    await waitFor(() => expect(placeholders()).toHaveLength(0));
    expect(screen.getAllByRole("img", { name: new RegExp(`^${PROMPT} \\(image \\d of 2\\)$`) })).toHaveLength(2);
    expect(statusLine()).toBe("Status: Done");
    expect(screen.getByRole("link", { name: "View in gallery" }).getAttribute("href")).toBe("/dashboard");

    const pollsWhenDone = polls.count;
    await sleep(POLL_MS * 6);
    expect(polls.count).toBe(pollsWhenDone);
    expect(saveImage).toHaveBeenCalledTimes(1);

    // "Generate another" keeps the values and hands the form back.
    await user.click(screen.getByRole("button", { name: "Generate another" }));
    expect(promptBox().value).toBe(PROMPT);
    expect(promptBox().matches(":disabled")).toBe(false);
    expect(document.activeElement).toBe(promptBox());
    expect(placeholders()).toHaveLength(0);
  });

  it("shows the images as soon as a poll reports them all saved, without the save action, and stops polling", async () => {
    const { polls } = serve(prediction(), () => prediction({ status: "succeeded", progress: 1, images: [imageView(0, { width: 832, height: 1216 })] }));
    const { user, saveImage } = renderForm();
    await user.type(promptBox(), PROMPT);
    await user.click(generateButton());

    const image = await screen.findByRole("img", { name: PROMPT });
    expect(image.getAttribute("width")).toBe("832");
    expect(screen.getByText("832 × 1216")).toBeTruthy();
    expect(saveImage).not.toHaveBeenCalled();
    // Every image is known: nothing more to ask the server.
    const pollsWhenShown = polls.count;
    await sleep(POLL_MS * 6);
    expect(polls.count).toBe(pollsWhenShown);
  });

  it.each(["canceled", "aborted"] as const)("stops polling when a poll says the run was %s elsewhere (another tab, the deadline)", async (status) => {
    const { polls } = serve(prediction(), () => prediction({ status, completed_at: new Date().toISOString() }));
    const { user, saveImage } = renderForm();
    await user.type(promptBox(), PROMPT);
    await user.click(generateButton());

    await screen.findByRole("alert");
    const pollsWhenStopped = polls.count;
    await sleep(POLL_MS * 6);
    expect(polls.count).toBe(pollsWhenStopped);
    expect(saveImage).not.toHaveBeenCalled();
  });

  it("waits as long as the server's hint says before polling, not its own interval", async () => {
    // The server reads the model once per interval for everyone; asking sooner only costs requests.
    const { polls } = serve(prediction({ pollAfterMs: 5_000 }));
    const { user } = renderForm();
    await user.type(promptBox(), PROMPT);
    await user.click(generateButton());
    await waitFor(() => expect(statusLine()).toBe("Status: Queued"));
    await sleep(POLL_MS * 6);
    expect(polls.count).toBe(0);
  });

  it("says a progress estimated from the model's usual run time is an estimate", async () => {
    serve(prediction(), () => prediction({ status: "processing", progress: 0.35, progressIsEstimate: true, started_at: new Date().toISOString() }));
    const { user } = renderForm();
    await user.type(promptBox(), PROMPT);
    await user.click(generateButton());

    await waitFor(() => expect(progressBar().getAttribute("aria-valuetext")).toBe("about 35% — generating"));
    expect(screen.getByText("about 35%")).toBeTruthy();
    expect(screen.getByText("Estimated from this model's usual run time.")).toBeTruthy();
  });

  it("keeps polling through a passing server error and says it is retrying", async () => {
    let gets = 0;
    server.use(
      http.post("*/api/replicate", () => HttpResponse.json(prediction({ id: "pred_4" }), { status: 201 })),
      http.get("*/api/replicate/:id", () => {
        gets += 1;
        if (gets === 1) return HttpResponse.json({ error: { code: "internal", message: "Oops." } }, { status: 500 });
        return HttpResponse.json(prediction({ id: "pred_4", status: "succeeded", progress: 1, images: [imageView(0)] }));
      }),
    );
    const { user } = renderForm();
    await user.type(promptBox(), PROMPT);
    await user.click(generateButton());

    expect(await screen.findByText(/Retrying/)).toBeTruthy();
    expect(await screen.findByRole("img", { name: PROMPT })).toBeTruthy();
    expect(screen.queryByText(/Retrying/)).toBeNull();
  });

  it("shows a failed prediction's error as is, hands the form back and stops polling", async () => {
    const reason = "NSFW content detected. Try running it again, or try a different prompt.";
    const { polls } = serve(prediction({ id: "pred_3" }), () => prediction({ id: "pred_3", status: "failed", error: reason, completed_at: new Date().toISOString() }));
    const { user, saveImage } = renderForm();
    await user.type(promptBox(), PROMPT);
    // The keyboard shortcut submits too.
    await user.keyboard("{Control>}{Enter}{/Control}");

    const notice = await screen.findByRole("alert");
    expect(notice.textContent).toContain(reason);
    expect(document.activeElement).toBe(notice);
    expect(generateButton().disabled).toBe(false);
    expect(placeholders()).toHaveLength(0);

    const pollsWhenFailed = polls.count;
    await sleep(POLL_MS * 6);
    expect(polls.count).toBe(pollsWhenFailed);
    expect(saveImage).not.toHaveBeenCalled();
  });

  it("stops polling when the save fails, and offers to try again", async () => {
    const { polls } = serve(prediction(), () => prediction({ status: "succeeded", progress: 1 }));
    const saveImage = vi.fn(async (): Promise<SaveImageResult> => ({ ok: false, error: { code: "upstream_error", message: "The model's output could not be fetched." } }));
    const { user } = renderForm({ saveImage });
    await user.type(promptBox(), PROMPT);
    await user.click(generateButton());

    const notice = await screen.findByRole("alert");
    expect(notice.textContent).toContain("The model's output could not be fetched.");
    expect(within(notice).getByRole("button", { name: "Try again" })).toBeTruthy();
    const pollsWhenFailed = polls.count;
    await sleep(POLL_MS * 6);
    expect(polls.count).toBe(pollsWhenFailed);
    expect(promptBox().matches(":disabled")).toBe(false);
  });

  it("cancels a running prediction and stops polling", async () => {
    let canceled = 0;
    const running = () => prediction({ id: "pred_5", status: "processing", progress: 0.2, started_at: new Date().toISOString() });
    const { polls } = serve(prediction({ id: "pred_5" }), () => (canceled ? prediction({ id: "pred_5", status: "canceled" }) : running()));
    server.use(
      http.post("*/api/replicate/:id/cancel", () => {
        canceled += 1;
        return HttpResponse.json(prediction({ id: "pred_5", status: "canceled", completed_at: new Date().toISOString() }));
      }),
    );
    const { user } = renderForm();
    await user.type(promptBox(), PROMPT);
    await user.click(generateButton());
    await waitFor(() => expect(progressBar().getAttribute("aria-valuenow")).toBe("20"));

    await user.click(screen.getByRole("button", { name: "Cancel" }));
    const notice = await screen.findByRole("alert");
    expect(notice.textContent).toContain("Nothing was saved.");
    expect(canceled).toBe(1);
    expect(promptBox().matches(":disabled")).toBe(false);
    const pollsWhenCanceled = polls.count;
    await sleep(POLL_MS * 6);
    expect(polls.count).toBe(pollsWhenCanceled);
  });

  it("keeps the cancel's answer when a poll sent before it answers after it", async () => {
    let canceled = false;
    let holdPolls = false;
    let release = () => {};
    let pollHeld = () => {};
    const held = new Promise<void>((resolve) => (pollHeld = resolve));
    const running = () => prediction({ id: "pred_6", status: "processing", progress: 0.2, started_at: new Date().toISOString() });
    server.use(
      http.post("*/api/replicate", () => HttpResponse.json(prediction({ id: "pred_6" }), { status: 201 })),
      http.get("*/api/replicate/:id", async () => {
        if (holdPolls) {
          // Sent while the prediction ran; its answer comes only after the cancel's.
          pollHeld();
          await new Promise<void>((resolve) => (release = resolve));
          return HttpResponse.json(running());
        }
        return HttpResponse.json(canceled ? prediction({ id: "pred_6", status: "canceled" }) : running());
      }),
      http.post("*/api/replicate/:id/cancel", () => {
        canceled = true;
        return HttpResponse.json(prediction({ id: "pred_6", status: "canceled", completed_at: new Date().toISOString() }));
      }),
    );
    const { user } = renderForm();
    await user.type(promptBox(), PROMPT);
    await user.click(generateButton());
    await waitFor(() => expect(progressBar().getAttribute("aria-valuenow")).toBe("20"));

    holdPolls = true;
    await held;
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect((await screen.findByRole("alert")).textContent).toContain("Nothing was saved.");
    release();
    await sleep(POLL_MS * 4);
    expect(screen.getByRole("alert").textContent).toContain("Nothing was saved.");
    expect(screen.queryByRole("progressbar")).toBeNull();
    expect(promptBox().matches(":disabled")).toBe(false);
  });

  it("stops polling a prediction that is gone and hands the form back", async () => {
    let polls = 0;
    server.use(
      http.post("*/api/replicate", () => HttpResponse.json(prediction({ id: "pred_7" }), { status: 201 })),
      http.get("*/api/replicate/:id", () => {
        polls += 1;
        return HttpResponse.json({ error: { code: "not_found", message: "No such prediction." } }, { status: 404 });
      }),
    );
    const { user } = renderForm();
    await user.type(promptBox(), PROMPT);
    await user.click(generateButton());

    const notice = await screen.findByRole("alert");
    expect(notice.textContent).toContain("This prediction is no longer available.");
    expect(generateButton().disabled).toBe(false);
    await sleep(POLL_MS * 6);
    expect(polls).toBe(1);
  });
});

describe("GenerateForm: image inputs", () => {
  const VIEW = { ref: "input:0b7c4a52-3f1e-4c8e-9d6a-2b1f0e9c8a7d", id: "0b7c4a52-3f1e-4c8e-9d6a-2b1f0e9c8a7d", url: "/api/files/u/inputs/0b7c4a52-3f1e-4c8e-9d6a-2b1f0e9c8a7d.png", contentType: "image/png", bytes: 2_400_000, width: 1536, height: 1024 };

  it("uploads a chosen file in three steps, shows its sizes, and sends only the reference", async () => {
    const steps: string[] = [];
    let declared: unknown;
    let putBytes = 0;
    server.use(
      http.post("*/api/inputs", async ({ request }) => {
        declared = await request.json();
        steps.push("start");
        return HttpResponse.json({ id: VIEW.id, ref: VIEW.ref, upload: { method: "PUT", url: `/api/inputs/${VIEW.id}/content`, headers: { "content-type": "image/png" } } }, { status: 201 });
      }),
      http.put("*/api/inputs/:id/content", async ({ request }) => {
        putBytes = (await request.arrayBuffer()).byteLength;
        steps.push("put");
        return HttpResponse.json({ bytes: putBytes });
      }),
      http.post("*/api/inputs/:id/complete", () => {
        steps.push("complete");
        return HttpResponse.json(VIEW);
      }),
    );
    const { posted } = serve(prediction({ input: { prompt: PROMPT, image: VIEW.ref } }));
    const { user } = renderForm({ models: [SDXL] });

    const file = new File([new Uint8Array(5000)], "harbour.png", { type: "image/png" });
    await user.upload(screen.getByLabelText("Image file"), file);
    await screen.findByText("2.3 MB · 1536 × 1024 px");
    expect(steps).toEqual(["start", "put", "complete"]);
    expect(declared).toEqual({ contentType: "image/png", bytes: 5000 });
    // jsdom's File is not Node fetch's Blob, so the body that arrives here is not the file's bytes; the browser journey checks those.
    expect(putBytes).toBeGreaterThan(0);

    await user.click(generateButton());
    await waitFor(() => expect(posted).toHaveLength(1));
    expect((posted[0] as { input: Record<string, unknown> }).input.image).toBe(VIEW.ref);
  });

  it("shows the server's refusal and keeps nothing chosen", async () => {
    server.use(
      http.post("*/api/inputs", () =>
        HttpResponse.json({ error: { code: "payload_too_large", message: "This file is 30 MB: larger than the 20 MB an input image may be." } }, { status: 413 }),
      ),
    );
    const { user } = renderForm({ models: [SDXL] });
    await user.upload(screen.getByLabelText("Image file"), new File([new Uint8Array(10)], "huge.png", { type: "image/png" }));
    expect((await screen.findByRole("alert")).textContent).toBe("This file is 30 MB: larger than the 20 MB an input image may be.");
    expect(screen.queryByText(/px$/)).toBeNull();
  });

  it("restores an input from earlier settings with its preview, and removes it on request", async () => {
    const { user } = renderForm({ models: [SDXL], initialInput: { prompt: PROMPT, image: VIEW.ref }, initialInputImages: { [VIEW.ref]: VIEW } });
    expect(screen.getByText("2.3 MB · 1536 × 1024 px")).toBeTruthy();
    expect((screen.getByRole("img", { name: "Image preview" }) as HTMLImageElement).getAttribute("src")).toBe(VIEW.url);
    await user.click(screen.getByRole("button", { name: "Remove Image" }));
    expect(screen.queryByText(/1536 × 1024 px/)).toBeNull();
  });
});
