// A gallery with more than a page of images: thumbnails, newest first, "Load more"
// with and without JavaScript, and the README's two screenshots.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertNoPageErrors, createImages, holdPolling, newPerson, promptBox, settle, signUp, waitForLoadedImage, waitForProgress } from "../support/app.mjs";

const OLDEST = "a snow-covered pagoda at first light";
const PROMPTS = [
  "a lighthouse on a basalt cliff at dusk",
  "an old tram climbing a hill in Lisbon",
  "a red fox asleep in fresh snow",
  "neon rain on a quiet side street",
  "a glass greenhouse full of ferns",
  "a paper crane on a wooden desk",
  "the aurora over a frozen lake",
  "a bowl of ramen, steam rising",
  "hot air balloons over a canyon at sunrise",
  "a desert road at golden hour",
  "an astronaut tending a garden on the moon",
  "a koi pond seen from above",
  "a reading nook with a sleeping cat",
  "a sailboat in a summer storm",
  "a mossy stone bridge in an old forest",
  "a vintage camera on a folded map",
  "a night market lit by paper lanterns",
  "a whale breaching at sunrise",
  "a lavender field in late afternoon",
  "a brass clockwork owl",
  "a mountain cabin under the milky way",
  "an origami dragon on a windowsill",
  "a sunflower field after rain",
  "a jazz trio in a smoky bar",
  "a lemon tree in a terracotta pot",
];

const tileButtons = (page) => page.getByRole("list", { name: "Your images" }).getByRole("listitem").getByRole("button");

/** Waits until every thumbnail inside the viewport has loaded (the rest load lazily). */
function visibleThumbnailsLoaded(page) {
  return page.waitForFunction(() =>
    [...document.querySelectorAll('ul[aria-label="Your images"] img')]
      .filter((img) => img.getBoundingClientRect().top < window.innerHeight)
      .every((img) => img.complete && img.naturalWidth > 0),
  );
}

describe("a full gallery", () => {
  it("pages through more than a page of thumbnails, newest first, with and without JavaScript", { timeout: 120_000 }, async (t) => {
    // The README's screenshots are this viewport: two full rows of the gallery.
    const person = await newPerson(t, { height: 880 });
    const { page, step, shot } = person;

    await step("make 26 images, one before the rest", async () => {
      await signUp(page, "ada@example.com");
      await createImages(page, [OLDEST], { seed: 7 });
      await createImages(page, PROMPTS, { seed: 100 });
    });

    await step("the header's links move between pages without reloading the document", async () => {
      await page.goto("/dashboard/generate");
      await page.evaluate(() => (window.__sameDocument = true));
      const nav = page.getByRole("navigation", { name: "Main" });
      await nav.getByRole("link", { name: "Gallery" }).click();
      await page.waitForURL((url) => url.pathname === "/dashboard");
      await page.getByRole("list", { name: "Your images" }).waitFor();
      assert.equal(await nav.getByRole("link", { name: "Gallery" }).getAttribute("aria-current"), "page");
      assert.equal(await nav.getByRole("link", { name: "Generate" }).getAttribute("aria-current"), null);
      // components/ui/app-link.tsx: a plain click is an App Router navigation, not a new document.
      assert.equal(await page.evaluate(() => window.__sameDocument), true);
    });

    await step("the first page shows 24 thumbnails, newest first", async () => {
      await page.goto("/dashboard");
      assert.equal(await tileButtons(page).count(), 24);
      assert.equal(await page.getByRole("button", { name: OLDEST }).count(), 0, "the oldest is not on the first page");
      const sources = await page.locator('ul[aria-label="Your images"] img').evaluateAll((imgs) => imgs.map((img) => img.getAttribute("src")));
      assert.ok(sources.every((src) => /^\/api\/files\/.+\?w=384$/.test(src)), "tiles load thumbnails");
      await visibleThumbnailsLoaded(page);
      await settle(page);
      await shot("readme-gallery", { fullPage: false });
      await shot("11-gallery-full-page");
    });

    await step("Load more appends the rest in place and moves focus to the first new one", async () => {
      const more = page.getByRole("link", { name: "Load more" });
      assert.equal(await more.getAttribute("href"), "/dashboard?show=48");
      await more.click();
      await page.getByText("2 more images loaded.").waitFor();
      assert.equal(await tileButtons(page).count(), 26);
      const focused = await page.evaluate(() => {
        const tiles = [...document.querySelectorAll('ul[aria-label="Your images"] button')];
        return tiles.indexOf(document.activeElement);
      });
      assert.equal(focused, 24);
      assert.match(await tileButtons(page).last().textContent(), new RegExp(OLDEST));
      assert.equal(new URL(page.url()).search, "?show=48");
      assert.equal(await page.getByRole("link", { name: "Load more" }).count(), 0);
      await shot("12-gallery-loaded-more");
    });

    await step("the same link works without JavaScript", async () => {
      const noScript = await newPerson(t, { javaScriptEnabled: false, storageState: await person.context.storageState() });
      await noScript.page.goto("/dashboard");
      await noScript.page.getByRole("link", { name: "Load more" }).click();
      await noScript.page.waitForURL("**/dashboard?show=48");
      assert.equal(await tileButtons(noScript.page).count(), 26);
    });

    await step("the generate page, mid-generation, for the README", async () => {
      await page.goto("/dashboard/generate");
      const prompt = "a lighthouse on a basalt cliff at dusk, volumetric light, 35mm film";
      await promptBox(page).fill(prompt);
      await page.getByRole("button", { name: "Generate", exact: true }).click();
      await waitForProgress(page, 35);
      const release = await holdPolling(page);
      await page.mouse.move(0, 0);
      await page.evaluate(() => window.scrollTo(0, 0));
      await settle(page);
      await shot("readme-generate", { fullPage: false });
      await release();
      await waitForLoadedImage(page.getByRole("region", { name: "Generation status" }).getByRole("img", { name: prompt, exact: true }));
    });

    assertNoPageErrors(person);
  });
});
