import { z } from "zod";

export const MIN_PASSWORD_LENGTH = 8;

export const signInSchema = z.object({
  // 254 characters is the longest address mail can be delivered to (RFC 5321).
  email: z.string().trim().max(254, "That email address is too long.").pipe(z.email("Enter a valid email address.")),
  password: z.string().min(1, "Enter your password.").max(200, "That password is too long."),
});

export const signUpSchema = signInSchema.extend({
  password: z
    .string()
    .min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters.`)
    .max(200, "Use at most 200 characters."),
});
