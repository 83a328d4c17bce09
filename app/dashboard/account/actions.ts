"use server";

import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { newPasswordSchema } from "@/lib/auth/credentials-schema";
import { deleteAccount as deleteEverything } from "@/lib/auth/delete-account";
import { signInRequest } from "@/lib/auth/sign-in-request";
import { asAppError } from "@/lib/errors";
import { requireUser } from "@/lib/server-context";

/** What the account page's forms render. */
export type AccountFormState = {
  error?: string;
  notice?: string;
  fields?: { currentPassword?: string[]; password?: string[]; confirmEmail?: string[] };
};

const changeSchema = z.object({
  currentPassword: z.string().min(1, "Enter your current password.").max(200, "That password is too long."),
  password: newPasswordSchema,
});

export async function changePassword(_previous: AccountFormState, formData: FormData): Promise<AccountFormState> {
  const parsed = changeSchema.safeParse({ currentPassword: formData.get("currentPassword"), password: formData.get("password") });
  if (!parsed.success) return { fields: fieldErrors(parsed.error) };
  try {
    const { context } = await requireUser();
    await context.auth.changePassword(
      { currentPassword: parsed.data.currentPassword, newPassword: parsed.data.password },
      await cookies(),
      await signInRequest(),
    );
  } catch (error) {
    return failure(error);
  }
  return { notice: "Your password is changed. Other browsers signed in to this account have been signed out." };
}

/** Deletes the account and everything in it, once the person has typed their email to confirm. */
export async function deleteAccount(_previous: AccountFormState, formData: FormData): Promise<AccountFormState> {
  try {
    const { user, context } = await requireUser();
    const typed = String(formData.get("confirmEmail") ?? "").trim().toLowerCase();
    if (typed !== user.email.toLowerCase()) {
      return { fields: { confirmEmail: ["Type your email exactly as shown to confirm."] } };
    }
    await deleteEverything({ context, user, cookies: await cookies() });
  } catch (error) {
    return failure(error);
  }
  redirect("/login?notice=account-deleted");
}

function failure(error: unknown): AccountFormState {
  const appError = asAppError(error);
  const fields: AccountFormState["fields"] = {};
  if (appError.fields?.currentPassword) fields.currentPassword = appError.fields.currentPassword;
  if (appError.fields?.password) fields.password = appError.fields.password;
  return Object.keys(fields).length > 0 ? { fields } : { error: appError.message };
}

function fieldErrors(error: z.ZodError): AccountFormState["fields"] {
  const fields: AccountFormState["fields"] = {};
  for (const issue of error.issues) {
    const key = issue.path[0];
    if (key === "currentPassword" || key === "password") (fields[key] ??= []).push(issue.message);
  }
  return fields;
}
