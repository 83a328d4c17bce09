import { z } from "zod";
import { MAX_SIGN_IN_PASSWORD_LENGTH, newPasswordProblem } from "@/lib/auth/password-rules";

// 254 characters is the longest address mail can be delivered to (RFC 5321).
export const emailSchema = z.string().trim().max(254, "That email address is too long.").pipe(z.email("Enter a valid email address."));

/** A password being chosen: the rules in lib/auth/password-rules.ts, in both modes. */
export const newPasswordSchema = z.string().superRefine((password, context) => {
  const problem = newPasswordProblem(password);
  if (problem) context.addIssue({ code: "custom", message: problem });
});

export const signInSchema = z.object({
  email: emailSchema,
  password: z.string().min(1, "Enter your password.").max(MAX_SIGN_IN_PASSWORD_LENGTH, "That password is too long."),
});

export const signUpSchema = signInSchema.extend({ password: newPasswordSchema });
