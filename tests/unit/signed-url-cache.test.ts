import { afterEach, describe, expect, it, vi } from "vitest";
import { createSignedUrlCache } from "@/lib/supabase/signed-url-cache";
import { passTime } from "@/tests/support/clock";

afterEach(() => vi.useRealTimers());

describe("the signed URL cache", () => {
  it("keeps at most maxEntries, dropping the least recently used first", () => {
    const cache = createSignedUrlCache({ reuseForMs: 60_000, maxEntries: 2 });
    const now = Date.now();
    cache.set({ viewer: "u", path: "a", url: "A", signedAt: now });
    cache.set({ viewer: "u", path: "b", url: "B", signedAt: now });
    expect(cache.get({ viewer: "u", path: "a" })).toBe("A");
    cache.set({ viewer: "u", path: "c", url: "C", signedAt: now });
    expect(cache.get({ viewer: "u", path: "b" })).toBeUndefined();
    expect(cache.get({ viewer: "u", path: "a" })).toBe("A");
    expect(cache.get({ viewer: "u", path: "c" })).toBe("C");
  });

  it("answers only the viewer a URL was signed for, and only within the reuse window", () => {
    const cache = createSignedUrlCache({ reuseForMs: 60_000 });
    cache.set({ viewer: "alice", path: "alice/x.png", url: "signed", signedAt: Date.now() });
    expect(cache.get({ viewer: "bob", path: "alice/x.png" })).toBeUndefined();
    cache.set({ viewer: "bob", path: "alice/x.png", url: null, signedAt: Date.now() });
    expect(cache.get({ viewer: "alice", path: "alice/x.png" })).toBe("signed");
    passTime(59_000);
    expect(cache.get({ viewer: "alice", path: "alice/x.png" })).toBe("signed");
    passTime(1_000);
    expect(cache.get({ viewer: "alice", path: "alice/x.png" })).toBeUndefined();
  });
});
