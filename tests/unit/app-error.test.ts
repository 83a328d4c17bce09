import { describe, expect, it, vi } from "vitest";
import { EmailConfirmationRequired } from "@/lib/auth/auth-service";
import { AppError, asAppError } from "@/lib/errors";

/** A second, separately evaluated copy of lib/errors, as a second server bundle would load it. */
async function otherCopyOfErrors(): Promise<typeof import("@/lib/errors")> {
  vi.resetModules();
  return import("@/lib/errors");
}

describe("AppError across module copies", () => {
  it("is recognised when thrown by another copy of the module, keeping its message and status", async () => {
    const other = await otherCopyOfErrors();
    expect(other.AppError).not.toBe(AppError);
    const thrown = new other.AppError("unauthorized", "Wrong email or password.");
    expect(thrown instanceof AppError).toBe(true);
    const answer = asAppError(thrown);
    expect(answer.message).toBe("Wrong email or password.");
    expect(answer.status).toBe(401);
  });

  it("still tells subclasses and plain errors apart", () => {
    const confirmation = new EmailConfirmationRequired("new@example.com");
    expect(confirmation instanceof AppError).toBe(true);
    expect(confirmation instanceof EmailConfirmationRequired).toBe(true);
    expect(new AppError("conflict", "Taken.") instanceof EmailConfirmationRequired).toBe(false);
    expect(new Error("boom") instanceof AppError).toBe(false);
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    expect(asAppError(new Error("boom")).status).toBe(500);
  });
});
