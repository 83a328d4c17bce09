import { redirect } from "next/navigation";
import { Brand } from "@/components/brand";
import { AppLink } from "@/components/ui/app-link";
import { buttonClasses } from "@/components/ui/button";
import { getCurrentUser } from "@/lib/server-context";

const FEATURES = [
  { title: "See it happen", text: "Progress, stage and time while the model works; cancel any time." },
  { title: "Yours alone", text: "Every image saved to a private gallery, with the settings that made it." },
  { title: "Runs anywhere", text: "Real SDXL with a Replicate token, or a local preview model with no network at all." },
] as const;

export default async function HomePage() {
  if (await getCurrentUser()) redirect("/dashboard/generate");
  return (
    <main className="mx-auto flex min-h-dvh max-w-3xl flex-col justify-center gap-10 px-6 py-16">
      <Brand />
      <div className="space-y-4">
        <h1 className="text-4xl font-semibold tracking-tight text-balance sm:text-5xl">
          Type a prompt, watch it render, keep every image.
        </h1>
        <p className="max-w-2xl text-lg text-muted">
          An open-source image studio on Stable Diffusion XL, with a private gallery for each person.
        </p>
      </div>
      <div className="flex flex-wrap gap-3">
        <AppLink href="/signup" className={buttonClasses()}>
          Create an account
        </AppLink>
        <AppLink href="/login" className={buttonClasses({ variant: "secondary" })}>
          Sign in
        </AppLink>
      </div>
      <ul className="grid gap-6 border-t pt-8 sm:grid-cols-3">
        {FEATURES.map((feature) => (
          <li key={feature.title} className="space-y-1">
            <h2 className="text-sm font-semibold">{feature.title}</h2>
            <p className="text-sm text-muted">{feature.text}</p>
          </li>
        ))}
      </ul>
    </main>
  );
}
