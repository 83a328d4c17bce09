import { describe, expect, it } from "vitest";
import { DEFAULT_AFTER_SIGN_IN, safeNextPath } from "@/lib/auth/safe-next-path";

describe("safeNextPath", () => {
  it.each(["/dashboard", "/dashboard/generate?from=abc", "/dashboard#top"])("keeps the in-app path %s", (path) => {
    expect(safeNextPath(path)).toBe(path);
  });

  it.each([
    "https://evil.example/phish",
    "//evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    "dashboard",
    "",
    undefined,
    null,
    42,
    `/${"a".repeat(600)}`,
  ])("replaces %s with the default", (value) => {
    expect(safeNextPath(value)).toBe(DEFAULT_AFTER_SIGN_IN);
  });
});
