// @vitest-environment jsdom
import { act, cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { EmptyGallery } from "@/components/gallery/empty-gallery";
import { GalleryGrid } from "@/components/gallery/gallery-grid";
import type { ActionResult, GalleryImage } from "@/lib/predictions/types";

const router = vi.hoisted(() => ({ replace: vi.fn(), push: vi.fn(), refresh: vi.fn() }));
vi.mock("next/navigation", () => ({ useRouter: () => router }));

beforeAll(() => {
  // jsdom has no modal dialogs. This stands in for the browser's part: the open
  // attribute, Escape closing the dialog, and the "close" event after close().
  const proto = HTMLDialogElement.prototype as HTMLDialogElement & { __escape?: (event: KeyboardEvent) => void };
  if (typeof proto.showModal === "function") return;
  Object.defineProperty(proto, "open", {
    configurable: true,
    get(this: HTMLDialogElement) {
      return this.hasAttribute("open");
    },
  });
  proto.showModal = function (this: HTMLDialogElement & { __escape?: (event: KeyboardEvent) => void }) {
    this.setAttribute("open", "");
    this.__escape = (event) => {
      if (event.key === "Escape") this.close();
    };
    this.ownerDocument.addEventListener("keydown", this.__escape);
    const first = this.querySelector<HTMLElement>("button, a[href], input, textarea, select");
    first?.focus();
  };
  proto.close = function (this: HTMLDialogElement & { __escape?: (event: KeyboardEvent) => void }) {
    if (!this.hasAttribute("open")) return;
    this.removeAttribute("open");
    if (this.__escape) this.ownerDocument.removeEventListener("keydown", this.__escape);
    this.dispatchEvent(new Event("close"));
  };
});

afterEach(() => {
  cleanup();
  vi.clearAllMocks();
});

function image(id: string, prompt: string, createdAt: string, overrides: Partial<GalleryImage> = {}): GalleryImage {
  return {
    id,
    predictionId: `pred_${id}`,
    url: `/api/files/u/${id}.png`,
    downloadUrl: `/api/files/u/${id}.png?download=image-${id}.png`,
    thumbnails: [
      { width: 384, url: `/api/files/u/${id}.png?w=384` },
      { width: 768, url: `/api/files/u/${id}.png?w=768` },
    ],
    prompt,
    input: { prompt, width: 1216, height: 832, num_inference_steps: 30, guidance_scale: 7.5 },
    model: "local-preview",
    modelName: "Local preview",
    seed: null,
    width: 1216,
    height: 832,
    createdAt,
    ...overrides,
  };
}

const IMAGES = [
  image("c", "A lighthouse at dusk", "2025-03-03T10:00:00.000Z", {
    input: { prompt: "A lighthouse at dusk", negative_prompt: "fog", width: 1216, height: 832, num_inference_steps: 40, guidance_scale: 9, seed: 42 },
    modelName: "Stable Diffusion XL",
    seed: 42,
  }),
  image("b", "A red fox in snow", "2025-02-02T10:00:00.000Z"),
  image("a", "An old tram in Lisbon", "2025-01-01T10:00:00.000Z"),
];

type Delete = (imageId: string) => Promise<ActionResult<object>>;

function renderGrid(deleteImage: Delete = vi.fn<Delete>(async () => ({ ok: true }))) {
  render(<GalleryGrid images={IMAGES} deleteImage={deleteImage} />);
  return { user: userEvent.setup(), deleteImage };
}

const tiles = () => within(screen.getByRole("list", { name: "Your images" })).getAllByRole("button");
const tile = (prompt: string) => screen.getByRole("button", { name: new RegExp(prompt) });

describe("GalleryGrid", () => {
  it("shows the images newest first, each with its prompt and a local date", () => {
    renderGrid();
    expect(tiles().map((t) => t.textContent)).toEqual([
      expect.stringContaining("A lighthouse at dusk"),
      expect.stringContaining("A red fox in snow"),
      expect.stringContaining("An old tram in Lisbon"),
    ]);
    const first = tiles()[0];
    const time = first.querySelector("time")!;
    expect(time.getAttribute("dateTime")).toBe("2025-03-03T10:00:00.000Z");
    expect(time.textContent).toBe(new Intl.DateTimeFormat(undefined, { dateStyle: "medium" }).format(new Date("2025-03-03T10:00:00.000Z")));
    // Tiles load thumbnails, never the full image.
    const img = first.querySelector("img")!;
    expect(img.getAttribute("src")).toBe("/api/files/u/c.png?w=384");
    expect(img.getAttribute("srcset")).toBe("/api/files/u/c.png?w=384 384w, /api/files/u/c.png?w=768 768w");
    expect(img.getAttribute("sizes")).toContain("264px");
    expect(img.getAttribute("loading")).toBe("lazy");
    expect(img.getAttribute("decoding")).toBe("async");
  });

  it("shows the full image in a tile only when the image has no thumbnails (saved before they existed)", () => {
    const old = image("o", "Saved long ago", "2024-01-01T10:00:00.000Z", { url: "https://x.supabase.co/storage/v1/object/sign/b/u/o.png?token=t", thumbnails: [] });
    render(<GalleryGrid images={[old]} deleteImage={vi.fn<Delete>()} />);
    const img = tiles()[0].querySelector("img")!;
    expect(img.getAttribute("src")).toBe(old.url);
    expect(img.hasAttribute("srcset")).toBe(false);
  });

  it("opens the full view with the settings, and Escape returns focus to the tile", async () => {
    const { user } = renderGrid();
    tile("A lighthouse at dusk").focus();
    await user.keyboard("{Enter}");

    const dialog = screen.getByRole("dialog", { name: "Image details" });
    const full = within(dialog).getByRole("img", { name: "A lighthouse at dusk" });
    expect(full.getAttribute("width")).toBe("1216");
    const details = Object.fromEntries(
      within(dialog)
        .getAllByRole("term")
        .map((term) => [term.textContent, term.nextElementSibling?.textContent]),
    );
    expect(details).toMatchObject({
      Model: "Stable Diffusion XL",
      Size: "1216 × 832",
      Seed: "42",
      "Negative prompt": "fog",
      "Num inference steps": "40",
      "Guidance scale": "9",
    });
    // The dialog shows the full image, not the thumbnail.
    expect(full.getAttribute("src")).toBe("/api/files/u/c.png");
    const download = within(dialog).getByRole("link", { name: "Download" });
    expect(download.getAttribute("href")).toBe("/api/files/u/c.png?download=image-c.png");
    expect(download.hasAttribute("download")).toBe(true);
    expect(within(dialog).getByRole("link", { name: "Use these settings again" }).getAttribute("href")).toBe("/dashboard/generate?from=c");

    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.activeElement).toBe(tile("A lighthouse at dusk"));
  });

  it("leaves the seed out of the details when it is not known", async () => {
    const { user } = renderGrid();
    await user.click(tile("A red fox in snow"));
    const dialog = screen.getByRole("dialog", { name: "Image details" });
    const terms = within(dialog).getAllByRole("term").map((term) => term.textContent);
    expect(terms).toContain("Model");
    expect(terms).not.toContain("Seed");
  });

  it("deletes only after a second, confirming press, and removes the tile", async () => {
    const { user, deleteImage } = renderGrid();
    await user.click(tile("A red fox in snow"));
    const dialog = screen.getByRole("dialog");

    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect(deleteImage).not.toHaveBeenCalled();
    await user.click(within(dialog).getByRole("button", { name: "Confirm delete" }));

    expect(deleteImage).toHaveBeenCalledWith("b");
    await waitFor(() => expect(screen.queryByRole("button", { name: /A red fox in snow/ })).toBeNull());
    expect(tiles()).toHaveLength(2);
    expect(screen.queryByRole("dialog")).toBeNull();
    // The deleted tile's neighbour takes focus, so keyboard users keep their place.
    expect(document.activeElement).toBe(tile("An old tram in Lisbon"));
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("can back out of a delete", async () => {
    const { user, deleteImage } = renderGrid();
    await user.click(tile("A red fox in snow"));
    await user.click(screen.getByRole("button", { name: "Delete" }));
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.getByRole("button", { name: "Delete" })).toBeTruthy();
    expect(deleteImage).not.toHaveBeenCalled();
  });

  it("removes the tile at once and puts it back with a message when the delete fails", async () => {
    let answer: (result: ActionResult<object>) => void = () => {};
    const deleteImage = vi.fn<Delete>(() => new Promise((resolve) => (answer = resolve)));
    const { user } = renderGrid(deleteImage);
    await user.click(tile("A red fox in snow"));
    await user.click(screen.getByRole("button", { name: "Delete" }));
    await user.click(screen.getByRole("button", { name: "Confirm delete" }));

    expect(screen.queryByRole("button", { name: /A red fox in snow/ })).toBeNull();
    answer({ ok: false, error: { code: "upstream_unavailable", message: "Storage is not answering." } });

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("could not be deleted");
    expect(alert.textContent).toContain("Storage is not answering.");
    expect(document.activeElement).toBe(alert);
    expect(tiles().map((t) => t.textContent)).toEqual([
      expect.stringContaining("A lighthouse at dusk"),
      expect.stringContaining("A red fox in snow"),
      expect.stringContaining("An old tram in Lisbon"),
    ]);
  });

  it("shows the empty state, with a way to make the first image, when there are none", () => {
    render(<GalleryGrid images={[]} deleteImage={vi.fn<Delete>()} />);
    expect(screen.getByRole("heading", { name: "No images yet" })).toBeTruthy();
    expect(screen.getByRole("link", { name: "Generate your first image" }).getAttribute("href")).toBe("/dashboard/generate");
  });
});

describe("GalleryGrid copy prompt", () => {
  it("copies the prompt and announces it", async () => {
    const { user } = renderGrid();
    await user.click(tile("A red fox in snow"));
    const dialog = screen.getByRole("dialog");
    await user.click(within(dialog).getByRole("button", { name: "Copy prompt" }));

    expect(await navigator.clipboard.readText()).toBe("A red fox in snow");
    expect(within(dialog).getByRole("button", { name: "Copied" })).toBeTruthy();
    expect(within(dialog).getByRole("status").textContent).toBe("Prompt copied");
  });

  it("falls back to a selected textarea where the Clipboard API is missing (plain http)", async () => {
    const { user } = renderGrid();
    Object.defineProperty(navigator, "clipboard", { configurable: true, value: undefined });
    let copied: string | null = null;
    document.execCommand = vi.fn((command: string) => {
      const area = document.querySelector<HTMLTextAreaElement>("dialog textarea");
      if (command === "copy" && area) copied = area.value.slice(area.selectionStart, area.selectionEnd);
      return copied !== null;
    });
    await user.click(tile("An old tram in Lisbon"));
    const copy = within(screen.getByRole("dialog")).getByRole("button", { name: "Copy prompt" });
    await user.click(copy);

    expect(copied).toBe("An old tram in Lisbon");
    expect(within(screen.getByRole("dialog")).getByRole("status").textContent).toBe("Prompt copied");
    // The helper textarea is gone and focus is back on the button.
    expect(document.querySelector("dialog textarea")).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "Copied" }));
  });

  it("says so when copying is not possible at all", async () => {
    const { user } = renderGrid();
    Object.defineProperty(navigator, "clipboard", { configurable: true, value: undefined });
    document.execCommand = vi.fn(() => false);
    await user.click(tile("An old tram in Lisbon"));
    await user.click(screen.getByRole("button", { name: "Copy prompt" }));
    expect(screen.getByRole("alert").textContent).toContain("Could not copy");
  });
});

describe("GalleryGrid load more", () => {
  const more = (n: number) =>
    Array.from({ length: n }, (_, i) => image(`m${i}`, `Older image ${i}`, `2024-12-${String(20 - i).padStart(2, "0")}T10:00:00.000Z`));

  it("is a plain link, so paging works before JavaScript", () => {
    render(<GalleryGrid images={IMAGES} deleteImage={vi.fn<Delete>()} moreHref="/dashboard?show=48" />);
    expect(screen.getByRole("link", { name: "Load more" }).getAttribute("href")).toBe("/dashboard?show=48");
  });

  it("appends the next images in place, focuses the first new one and announces how many came", async () => {
    const deleteImage = vi.fn<Delete>();
    const user = userEvent.setup();
    const { rerender } = render(<GalleryGrid images={IMAGES} deleteImage={deleteImage} moreHref="/dashboard?show=48" />);
    await user.click(screen.getByRole("link", { name: "Load more" }));
    expect(router.replace).toHaveBeenCalledWith("/dashboard?show=48", { scroll: false });

    // The server answers with the longer list (the same three first, then two more).
    await act(async () => rerender(<GalleryGrid images={[...IMAGES, ...more(2)]} deleteImage={deleteImage} moreHref={null} />));

    expect(tiles()).toHaveLength(5);
    expect(document.activeElement).toBe(tile("Older image 0"));
    expect(screen.getByText("2 more images loaded.").getAttribute("role")).toBe("status");
    expect(screen.queryByRole("link", { name: "Load more" })).toBeNull();
  });

  it("leaves a modified click (new tab) to the browser", async () => {
    const user = userEvent.setup();
    render(<GalleryGrid images={IMAGES} deleteImage={vi.fn<Delete>()} moreHref="/dashboard?show=48" />);
    const link = screen.getByRole("link", { name: "Load more" });
    link.addEventListener("click", (event) => event.preventDefault()); // jsdom would try to navigate
    await user.keyboard("{Control>}");
    await user.click(link);
    await user.keyboard("{/Control}");
    expect(router.replace).not.toHaveBeenCalled();
  });
});

describe("EmptyGallery", () => {
  it("links to the generate page", () => {
    render(<EmptyGallery />);
    expect(screen.getByRole("link", { name: "Generate your first image" }).getAttribute("href")).toBe("/dashboard/generate");
  });
});
