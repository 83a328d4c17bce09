"use server";

import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import type { z } from "zod";
import { EmailConfirmationRequired, type Credentials } from "@/lib/auth/auth-service";
import { clientAddressFrom } from "@/lib/auth/client-address";
import { signInSchema, signUpSchema } from "@/lib/auth/credentials-schema";
import type { AuthFormState } from "@/lib/auth/form-state";
import { safeNextPath } from "@/lib/auth/safe-next-path";
import { asAppError } from "@/lib/errors";
import { getAppContext } from "@/lib/server-context";

export async function signIn(_previous: AuthFormState, formData: FormData): Promise<AuthFormState> {
  return authenticate(formData, signInSchema, async (credentials) => {
    const { auth, env } = await getAppContext();
    // The address limit comes on top of the per-email one (see lib/local/sign-in-throttle.ts).
    await auth.signIn(credentials, await cookies(), { clientAddress: clientAddressFrom(await headers(), env.trustedProxies) });
  });
}

export async function signUp(_previous: AuthFormState, formData: FormData): Promise<AuthFormState> {
  return authenticate(formData, signUpSchema, async (credentials) => {
    const { auth, env } = await getAppContext();
    await auth.signUp(credentials, await cookies(), { clientAddress: clientAddressFrom(await headers(), env.trustedProxies) });
  });
}

export async function signOut(): Promise<void> {
  const { auth } = await getAppContext();
  await auth.signOut(await cookies());
  redirect("/login");
}

async function authenticate(
  formData: FormData,
  schema: z.ZodType<Credentials>,
  run: (credentials: Credentials) => Promise<void>,
): Promise<AuthFormState> {
  const email = String(formData.get("email") ?? "");
  const parsed = schema.safeParse({ email, password: formData.get("password") });
  if (!parsed.success) {
    const { fieldErrors } = parsedFieldErrors(parsed.error);
    return { email, fields: fieldErrors };
  }
  try {
    await run(parsed.data);
  } catch (error) {
    if (error instanceof EmailConfirmationRequired) return { email, notice: error.message };
    return { email, error: asAppError(error).message };
  }
  // redirect() throws by design, so it stays outside the try above.
  redirect(safeNextPath(formData.get("next")));
}

function parsedFieldErrors(error: z.ZodError) {
  const fieldErrors: AuthFormState["fields"] = {};
  for (const issue of error.issues) {
    const key = issue.path[0];
    if (key === "email" || key === "password") (fieldErrors[key] ??= []).push(issue.message);
  }
  return { fieldErrors };
}
