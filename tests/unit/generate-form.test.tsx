// @vitest-environment jsdom
import { cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { SWRConfig } from "swr";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { GenerateForm, type GenerateFormProps } from "@/components/generate/generate-form";
import type { PredictionView, SaveImageResult } from "@/lib/predictions/types";

const PROMPT = "A red fox asleep in fresh snow";
const POLL_MS = 50;

const server = setupServer();
let nativeFetch: typeof fetch;

beforeAll(() => {
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
    error: null,
    model: "local/preview",
    input: { prompt: PROMPT, width: 1024, height: 1024, num_inference_steps: 30, guidance_scale: 7.5 },
    created_at: new Date().toISOString(),
    started_at: null,
    completed_at: null,
    image: null,
    ...overrides,
  };
}

function renderForm(props: Partial<GenerateFormProps> = {}) {
  const saveImage = props.saveImage ?? vi.fn<(id: string) => Promise<SaveImageResult>>();
  render(
    // A fresh cache per test, so one test's prediction never shows up in another.
    <SWRConfig value={{ provider: () => new Map() }}>
      <GenerateForm
        modelName="local/preview"
        isLocalPreview
        saveImage={saveImage}
        pollIntervalMs={POLL_MS}
        {...props}
      />
    </SWRConfig>,
  );
  return { user: userEvent.setup(), saveImage };
}

const promptBox = () => screen.getByRole("textbox", { name: /^prompt/i });
const generateButton = () => screen.getByRole("button", { name: /generate/i });
const progressBar = () => screen.getByRole("progressbar");
/** The announced status line ("Status: Generating"); the step list below the bar repeats the stage names. */
const statusLine = () => screen.getByRole("region", { name: "Generation status" }).querySelector("[aria-live]")?.textContent;
const currentStep = () => within(screen.getByRole("list", { name: "Stages" })).getByRole("listitem", { current: "step" }).textContent;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function descriptionOf(element: HTMLElement): string {
  return (element.getAttribute("aria-describedby") ?? "")
    .split(" ")
    .map((id) => document.getElementById(id)?.textContent ?? "")
    .join(" ");
}

describe("GenerateForm", () => {
  it("follows a prediction from queued to the saved image, then stops polling", async () => {
    let current = prediction();
    const posted: unknown[] = [];
    let gets = 0;
    server.use(
      http.post("*/api/replicate", async ({ request }) => {
        posted.push(await request.json());
        return HttpResponse.json(current, { status: 201 });
      }),
      http.get("*/api/replicate/:id", ({ params }) => {
        gets += 1;
        expect(params.id).toBe("pred_1");
        return HttpResponse.json(current);
      }),
    );
    let finishSave: (result: SaveImageResult) => void = () => {};
    const saveImage = vi.fn(() => new Promise<SaveImageResult>((resolve) => (finishSave = resolve)));
    const { user } = renderForm({ saveImage });

    await user.type(promptBox(), PROMPT);
    await user.click(generateButton());

    await waitFor(() => expect(progressBar().getAttribute("aria-valuenow")).toBe("0"));
    expect(statusLine()).toBe("Status: Queued");
    expect(currentStep()).toBe("Queued");
    expect(progressBar().getAttribute("aria-valuetext")).toBe("0% — queued");
    expect(posted).toEqual([
      { input: { prompt: PROMPT, width: 1024, height: 1024, num_inference_steps: 30, guidance_scale: 7.5 } },
    ]);
    expect(document.activeElement).toBe(screen.getByRole("region", { name: "Generation status" }));
    // While it runs the inputs are locked but still show what was asked for.
    expect(promptBox().matches(":disabled")).toBe(true);
    expect((promptBox() as HTMLTextAreaElement).value).toBe(PROMPT);
    await waitFor(() => expect(gets).toBeGreaterThan(0));

    current = prediction({ status: "processing", progress: 0.4, started_at: new Date().toISOString() });
    await waitFor(() => expect(progressBar().getAttribute("aria-valuenow")).toBe("40"));
    expect(statusLine()).toBe("Status: Generating");
    // A step the client never saw (starting) counts as done.
    expect(currentStep()).toBe("Generating");
    expect(within(screen.getByRole("list", { name: "Stages" })).getByText(/Starting/).textContent).toBe("Starting (done)");
    expect(progressBar().getAttribute("aria-valuetext")).toBe("40% — generating");

    current = prediction({ status: "succeeded", progress: 1, started_at: current.started_at, completed_at: new Date().toISOString() });
    await waitFor(() => expect(statusLine()).toBe("Status: Saving"));
    expect(saveImage).toHaveBeenCalledWith("pred_1");

    finishSave({ ok: true, image: { id: "img_1", url: "/api/files/u/p.png", width: 1024, height: 1024 } });
    const image = (await screen.findByRole("img", { name: PROMPT })) as HTMLImageElement;
    expect(image.getAttribute("src")).toBe("/api/files/u/p.png");
    expect(image.getAttribute("width")).toBe("1024");
    expect(image.getAttribute("height")).toBe("1024");
    expect(screen.getByText("Done")).toBeTruthy();
    expect(screen.getByRole("link", { name: "View in gallery" }).getAttribute("href")).toBe("/dashboard");

    const getsWhenDone = gets;
    await sleep(POLL_MS * 6);
    expect(gets).toBe(getsWhenDone);
    expect(saveImage).toHaveBeenCalledTimes(1);

    // "Generate another" keeps the prompt and hands the form back.
    await user.click(screen.getByRole("button", { name: "Generate another" }));
    expect((promptBox() as HTMLTextAreaElement).value).toBe(PROMPT);
    expect(promptBox().matches(":disabled")).toBe(false);
    expect(document.activeElement).toBe(promptBox());
    expect(screen.queryByRole("img", { name: PROMPT })).toBeNull();
  });

  it("shows the image as soon as a poll reports it saved, without waiting for the save action", async () => {
    server.use(
      http.post("*/api/replicate", () => HttpResponse.json(prediction({ id: "pred_2" }), { status: 201 })),
      http.get("*/api/replicate/:id", () =>
        HttpResponse.json(
          prediction({
            id: "pred_2",
            status: "succeeded",
            progress: 1,
            image: { id: "img_2", url: "/api/files/u/q.png", width: 832, height: 1216 },
          }),
        ),
      ),
    );
    const { user, saveImage } = renderForm();
    await user.type(promptBox(), PROMPT);
    await user.click(generateButton());

    const image = await screen.findByRole("img", { name: PROMPT });
    expect(image.getAttribute("width")).toBe("832");
    expect(saveImage).not.toHaveBeenCalled();
  });

  it("keeps polling through a passing server error and says it is retrying", async () => {
    let gets = 0;
    server.use(
      http.post("*/api/replicate", () => HttpResponse.json(prediction({ id: "pred_4" }), { status: 201 })),
      http.get("*/api/replicate/:id", () => {
        gets += 1;
        if (gets === 1) return HttpResponse.json({ error: { code: "internal", message: "Oops." } }, { status: 500 });
        return HttpResponse.json(
          prediction({ id: "pred_4", status: "succeeded", progress: 1, image: { id: "img_4", url: "/api/files/u/r.png", width: 1024, height: 1024 } }),
        );
      }),
    );
    const { user } = renderForm();
    await user.type(promptBox(), PROMPT);
    await user.click(generateButton());

    expect(await screen.findByText(/Retrying/)).toBeTruthy();
    expect(await screen.findByRole("img", { name: PROMPT })).toBeTruthy();
    expect(screen.queryByText(/Retrying/)).toBeNull();
  });

  it("shows a 422 field error under the prompt and keeps what was typed", async () => {
    server.use(
      http.post("*/api/replicate", () =>
        HttpResponse.json(
          { error: { code: "invalid_input", message: "Check the highlighted fields.", fields: { prompt: ["Prompt must not contain control characters."] } } },
          { status: 422 },
        ),
      ),
    );
    const { user } = renderForm();
    await user.type(promptBox(), PROMPT);
    await user.click(generateButton());

    await waitFor(() => expect(promptBox().getAttribute("aria-invalid")).toBe("true"));
    expect(descriptionOf(promptBox())).toContain("Prompt must not contain control characters.");
    expect((promptBox() as HTMLTextAreaElement).value).toBe(PROMPT);
    expect(promptBox().matches(":disabled")).toBe(false);
    const summary = screen.getByRole("alert");
    expect(summary.textContent).toContain("Prompt: Prompt must not contain control characters.");
    expect(document.activeElement).toBe(summary);
  });

  it("checks the prompt before sending anything", async () => {
    const { user } = renderForm();
    await user.click(generateButton());
    expect(descriptionOf(promptBox())).toContain("Describe the image you want.");
    expect(screen.queryByRole("region", { name: "Generation status" })).toBeNull();
  });

  it("shows a failed prediction's error as is and hands the form back", async () => {
    const reason = "NSFW content detected. Try running it again, or try a different prompt.";
    let gets = 0;
    server.use(
      http.post("*/api/replicate", () => HttpResponse.json(prediction({ id: "pred_3" }), { status: 201 })),
      http.get("*/api/replicate/:id", () => {
        gets += 1;
        return HttpResponse.json(prediction({ id: "pred_3", status: "failed", error: reason, completed_at: new Date().toISOString() }));
      }),
    );
    const { user, saveImage } = renderForm();
    await user.type(promptBox(), PROMPT);
    // The keyboard shortcut submits too.
    await user.keyboard("{Control>}{Enter}{/Control}");

    const notice = await screen.findByRole("alert");
    expect(notice.textContent).toContain(reason);
    expect(screen.getByText("Failed")).toBeTruthy();
    expect(document.activeElement).toBe(notice);
    expect(promptBox().matches(":disabled")).toBe(false);
    expect((generateButton() as HTMLButtonElement).disabled).toBe(false);
    expect((promptBox() as HTMLTextAreaElement).value).toBe(PROMPT);

    const getsWhenFailed = gets;
    await sleep(POLL_MS * 6);
    expect(gets).toBe(getsWhenFailed);
    expect(saveImage).not.toHaveBeenCalled();
  });

  it("cancels a running prediction and stops polling", async () => {
    let gets = 0;
    let canceled = 0;
    const running = () => prediction({ id: "pred_5", status: "processing", progress: 0.2, started_at: new Date().toISOString() });
    server.use(
      http.post("*/api/replicate", () => HttpResponse.json(prediction({ id: "pred_5" }), { status: 201 })),
      http.get("*/api/replicate/:id", () => {
        gets += 1;
        return HttpResponse.json(canceled ? prediction({ id: "pred_5", status: "canceled" }) : running());
      }),
      http.post("*/api/replicate/:id/cancel", ({ params }) => {
        expect(params.id).toBe("pred_5");
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
    expect(screen.getByText("Canceled")).toBeTruthy();
    expect(canceled).toBe(1);
    expect(document.activeElement).toBe(notice);
    expect(promptBox().matches(":disabled")).toBe(false);

    const getsWhenCanceled = gets;
    await sleep(POLL_MS * 6);
    expect(gets).toBe(getsWhenCanceled);
  });

  it("asks to sign in again when the session has expired", async () => {
    server.use(
      http.post("*/api/replicate", () =>
        HttpResponse.json({ error: { code: "unauthorized", message: "Sign in first." } }, { status: 401 }),
      ),
    );
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
        HttpResponse.json(
          { error: { code: "rate_limited", message: "Too many images at once." } },
          { status: 429, headers: { "retry-after": "12" } },
        ),
      ),
    );
    const { user } = renderForm();
    await user.type(promptBox(), PROMPT);
    await user.click(generateButton());

    const notice = await screen.findByRole("alert");
    expect(notice.textContent).toContain("Too many images at once. Try again in 12 seconds.");
  });

  it("explains a network failure in words", async () => {
    server.use(http.post("*/api/replicate", () => HttpResponse.error()));
    const { user } = renderForm();
    await user.type(promptBox(), PROMPT);
    await user.click(generateButton());

    const notice = await screen.findByRole("alert");
    expect(notice.textContent).toContain("Could not reach the server.");
    expect(promptBox().matches(":disabled")).toBe(false);
  });

  it("says plainly when the local preview model is in use, and how to switch", () => {
    renderForm({ isLocalPreview: true });
    const notice = screen.getByRole("note", { name: "Local preview model" });
    expect(notice.textContent).toMatch(/abstract placeholders drawn from your prompt and seed.*It is not Stable Diffusion XL/);
    expect(notice.textContent).toContain("REPLICATE_API_TOKEN");
  });

  it("names the real model without the preview notice", () => {
    renderForm({ isLocalPreview: false, modelName: "stability-ai/sdxl" });
    expect(screen.queryByRole("note", { name: "Local preview model" })).toBeNull();
    expect(screen.getByText("stability-ai/sdxl")).toBeTruthy();
  });
});
