"use server";

import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { EmailConfirmationRequired, type Credentials } from "@/lib/auth/auth-service";
import { emailSchema, newPasswordSchema, signInSchema, signUpSchema } from "@/lib/auth/credentials-schema";
import type { AuthFormState } from "@/lib/auth/form-state";
import { safeNextPath } from "@/lib/auth/safe-next-path";
import { signInRequest } from "@/lib/auth/sign-in-request";
import { asAppError } from "@/lib/errors";
import { getAppContext } from "@/lib/server-context";

export async function signIn(_previous: AuthFormState, formData: FormData): Promise<AuthFormState> {
  return authenticate(formData, signInSchema, async (credentials) => {
    const { auth } = await getAppContext();
    // The address limit comes on top of the per-email one (see lib/auth/sign-in-throttle.ts).
    await auth.signIn(credentials, await cookies(), await signInRequest());
  });
}

export async function signUp(_previous: AuthFormState, formData: FormData): Promise<AuthFormState> {
  return authenticate(formData, signUpSchema, async (credentials) => {
    const { auth } = await getAppContext();
    await auth.signUp(credentials, await cookies(), await signInRequest());
  });
}

export async function signOut(): Promise<void> {
  const { auth } = await getAppContext();
  await auth.signOut(await cookies());
  redirect("/login");
}

/** "Forgot password?": the same answer whether or not the email has an account. */
export async function requestPasswordReset(_previous: AuthFormState, formData: FormData): Promise<AuthFormState> {
  const email = String(formData.get("email") ?? "");
  const parsed = emailSchema.safeParse(email);
  if (!parsed.success) return { email, fields: { email: parsed.error.issues.map((issue) => issue.message) } };
  try {
    const { auth } = await getAppContext();
    const request = await signInRequest();
    await auth.requestPasswordReset({ email: parsed.data }, await cookies(), request);
  } catch (error) {
    return failure(email, error);
  }
  return { email: parsed.data, notice: "If an account uses this email, a link to set a new password is on its way. It works once, within an hour." };
}

const resetSchema = z.object({ password: newPasswordSchema, token: z.string().max(200).optional() });

/** Sets a new password from a reset link, then goes on signed in. */
export async function resetPassword(_previous: AuthFormState, formData: FormData): Promise<AuthFormState> {
  const token = formData.get("token");
  const parsed = resetSchema.safeParse({ password: formData.get("password"), token: typeof token === "string" && token ? token : undefined });
  if (!parsed.success) return { fields: fieldErrors(parsed.error) };
  try {
    const { auth } = await getAppContext();
    await auth.resetPassword(parsed.data, await cookies());
  } catch (error) {
    return failure(undefined, error);
  }
  redirect("/dashboard/account?notice=password-reset");
}

async function authenticate(
  formData: FormData,
  schema: z.ZodType<Credentials>,
  run: (credentials: Credentials) => Promise<void>,
): Promise<AuthFormState> {
  const email = String(formData.get("email") ?? "");
  const parsed = schema.safeParse({ email, password: formData.get("password") });
  if (!parsed.success) return { email, fields: fieldErrors(parsed.error) };
  try {
    await run(parsed.data);
  } catch (error) {
    if (error instanceof EmailConfirmationRequired) return { email, notice: error.message };
    return failure(email, error);
  }
  // redirect() throws by design, so it stays outside the try above.
  redirect(safeNextPath(formData.get("next")));
}

/** An error in words, with the field it is about when there is one. */
function failure(email: string | undefined, error: unknown): AuthFormState {
  const appError = asAppError(error);
  const fields: AuthFormState["fields"] = {};
  if (appError.fields?.email) fields.email = appError.fields.email;
  if (appError.fields?.password) fields.password = appError.fields.password;
  const hasFields = Object.keys(fields).length > 0;
  // A field's error is shown at the field; the same words again at the top would say it twice.
  return { ...(email === undefined ? {} : { email }), ...(hasFields ? { fields } : { error: appError.message }) };
}

function fieldErrors(error: z.ZodError): AuthFormState["fields"] {
  const fields: AuthFormState["fields"] = {};
  for (const issue of error.issues) {
    const key = issue.path[0];
    if (key === "email" || key === "password") (fields[key] ??= []).push(issue.message);
  }
  return fields;
}
