import { describe, expect, it } from "vitest";
import { DEFAULT_AFTER_SIGN_IN, safeNextPath } from "@/lib/auth/safe-next-path";

const APP = "https://studio.example";

describe("safeNextPath", () => {
  it.each([
    "/dashboard",
    "/dashboard/generate?from=abc",
    "/dashboard#top",
    "/dashboard?cursor=2026-01-01T00%3A00%3A00.000Z_x",
    // A query may carry anything encoded: it never decides where the browser goes.
    "/dashboard?next=%2F%2Fevil.example",
  ])("keeps the in-app path %s", (path) => {
    expect(safeNextPath(path)).toBe(path);
  });

  it("normalises dot segments that stay inside the app", () => {
    expect(safeNextPath("/dashboard/./generate")).toBe("/dashboard/generate");
    expect(safeNextPath("/a/../dashboard")).toBe("/dashboard");
  });

  /**
   * Each of these, used as a redirect target or resolved against the app's
   * origin (as /auth/callback does), could leave the site; every one must
   * become the default, not a cleaned-up path that a second pass (or the
   * browser) turns into another host.
   */
  const hostile: Array<[string, unknown]> = [
    ["absolute https URL", "https://evil.example/phish"],
    ["absolute http URL", "http://evil.example"],
    ["protocol-relative", "//evil.example"],
    ["three slashes", "///evil.example"],
    ["dot segment before //", "/.//evil.example"],
    ["double-dot segment before //", "/x/..//evil.example"],
    ["encoded dot segment before //", "/%2e//evil.example"],
    ["encoded double-dot before //", "/x/%2E%2E//evil.example"],
    ["backslash", "/\\evil.example"],
    ["two backslashes", "\\\\evil.example"],
    ["slash then backslash after a dot", "/./\\evil.example"],
    ["tab between slashes", "/\t/evil.example"],
    ["newline between slashes", "/\n/evil.example"],
    ["carriage return between slashes", "/\r/evil.example"],
    ["leading space", " //evil.example"],
    ["NUL", "/\u0000/evil.example"],
    ["DEL", "/\u007f/evil.example"],
    // Harmless once a browser drops it, but never in a path this app makes: refused, not guessed at.
    ["a tab inside a path", "/dash\tboard"],
    ["a trailing newline", "/dashboard\n"],
    ["encoded slashes", "/%2F%2Fevil.example"],
    ["lower-case encoded slashes", "/%2f%2fevil.example"],
    ["encoded backslash", "/%5Cevil.example"],
    ["encoded slash after a slash", "/%2Fevil.example"],
    ["encoded tab", "/%09/evil.example"],
    ["double-encoded slashes", "/%252F%252Fevil.example"],
    ["javascript: URL", "javascript:alert(1)"],
    ["data: URL", "data:text/html,<script>alert(1)</script>"],
    ["https: without slashes", "https:evil.example"],
    ["user-info trick", "/@evil.example"],
    ["relative path", "dashboard"],
    ["empty", ""],
    ["undefined", undefined],
    ["null", null],
    ["a number", 42],
    ["over 512 characters", `/${"a".repeat(600)}`],
  ];

  it.each(hostile)("replaces %s with the default", (_label, value) => {
    const result = safeNextPath(value);
    // Either the default, or (for the user-info trick) a path that is plainly in the app.
    if (result !== DEFAULT_AFTER_SIGN_IN) expect(result).toBe("/@evil.example");
  });

  it.each(hostile)("never leaves the app's origin, resolved once or twice: %s", (_label, value) => {
    const once = safeNextPath(value);
    expect(safeNextPath(once)).toBe(once);
    expect(new URL(once, APP).origin).toBe(APP);
    expect(once).toMatch(/^\/(?![/\\])/);
  });
});
