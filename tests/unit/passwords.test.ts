import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "@/lib/local/passwords";

/**
 * The password check must be exact: the mutation audit found that a
 * case-insensitive (or prefix-only) comparison went unnoticed by every test.
 */
describe("verifyPassword", () => {
  const password = "Correct Horse Battery Staple";
  const stored = hashPassword(password);

  it("accepts the exact password", async () => {
    expect(await verifyPassword(password, await stored)).toBe(true);
  });

  it.each([
    ["all lower case", password.toLowerCase()],
    ["all upper case", password.toUpperCase()],
    ["one letter's case changed", "correct Horse Battery Staple"],
    ["a prefix", password.slice(0, -1)],
    ["the first 8 characters", password.slice(0, 8)],
    ["one character more", `${password}!`],
    ["a trailing space", `${password} `],
    ["empty", ""],
  ])("refuses %s", async (_label, attempt) => {
    expect(await verifyPassword(attempt, await stored)).toBe(false);
  });

  it("salts each hash, so the same password never stores the same", async () => {
    expect(await hashPassword(password)).not.toBe(await stored);
  });
});
