import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { testCookies } from "@/tests/support/cookie-jar";
import { startLocalApp, type LocalApp } from "@/tests/support/local-app";

/** The gallery page reads `cursor` and `show` from the URL: whatever they hold, it renders, never a 500. */

vi.mock("next/headers", () => ({ cookies: async () => testCookies, headers: async () => new Headers() }));
vi.mock("next/cache", () => ({ revalidatePath: () => undefined }));

const { default: GalleryPage } = await import("@/app/dashboard/page");

let app: LocalApp;
beforeAll(async () => {
  app = await startLocalApp();
  app.actAs(await app.signUp("gallery@example.com"));
});
afterAll(() => app.stop());

const id = randomUUID();

describe("the gallery page with a malformed cursor", () => {
  it.each([
    ["a month that does not exist", `2026-13-01T00:00:00Z_${id}`],
    ["a day that does not exist", `2026-02-30T00:00:00Z_${id}`],
    ["an hour that does not exist", `2026-01-01T25:00:00Z_${id}`],
    ["only dots and colons for a time", `2026-01-01T::..Z_${id}`],
    ["a year 0000", `0000-01-01T00:00:00Z_${id}`],
    ["given twice", [`2026-01-01T00:00:00.000Z_${id}`, "x"]],
    ["garbage", "%%%"],
  ])("shows the first page for %s", async (_label, cursor) => {
    const page = await GalleryPage({ searchParams: Promise.resolve({ cursor: cursor as string, show: ["24", "48"] as unknown as string }) });
    expect(page).toBeTruthy();
  });
});
