/**
 * How a run of a fixture model looks while it runs: the seed it uses and the
 * logs it prints. Shared by the msw emulator (tests/msw/replicate-handlers.ts)
 * and the browser tests' stand-in (tests/e2e/support/replicate-stand-in.mjs).
 *
 * Logs as the real model prints them:
 * - cog-sdxl (replicate/cog-sdxl predict.py): "Using seed: N", "Prompt: …", the mode, then diffusers' tqdm.
 * - cog-flux (replicate/cog-flux bfl_predictor.py / fp8/flux_pipeline.py): "Using seed: N" (a seed of 0
 *   or none becomes a random 16-bit one), tqdm with a total for go_fast (fp8), a bare "Nit" counter for
 *   bf16 (flux/sampling.py wraps a zip without total), then "Total safe images: n out of n".
 * - diffusers: tqdm only (sdxl-lightning: its Cog source is not public, so no seed line is claimed).
 * - none: closed API proxies (flux-1.1-pro, SD 3.5): no tqdm.
 */

const propertiesOf = (fixture) => fixture.model.latest_version.openapi_schema.components.schemas.Input.properties ?? {};

/** The input's value, else the schema default. */
function valueOf(fixture, input, name) {
  return input?.[name] ?? propertiesOf(fixture)[name]?.default;
}

/** The seed a run uses: cog-flux replaces a falsy seed (none or 0), cog-sdxl only a missing one. */
export function seedFor(fixture, input, random = Math.random) {
  const sent = input?.seed;
  return typeof sent === "number" && (sent !== 0 || fixture.logs !== "cog-flux") ? sent : Math.floor(random() * 65536);
}

/** How many denoising steps a run reports (0 when the model declares none). */
export function stepsOf(fixture, input) {
  return Object.hasOwn(propertiesOf(fixture), "num_inference_steps") ? Number(valueOf(fixture, input, "num_inference_steps")) : 0;
}

/** A tqdm progress line as diffusers and cog-flux print it (bar of 10 cells, eighth-block partials). */
export function tqdmLine(n, total) {
  if (n === 0) return `  0%|          | 0/${total} [00:00<?, ?it/s]`;
  const fill = (n / total) * 10;
  const full = Math.floor(fill);
  const part = Math.floor((fill - full) * 8);
  const bar = ("█".repeat(full) + (full < 10 && part > 0 ? " ▏▎▍▌▋▊▉"[part] : "")).padEnd(10);
  return `${String(Math.floor((n / total) * 100)).padStart(3)}%|${bar}| ${n}/${total} [00:01<00:01,  7.12it/s]`;
}

/**
 * The logs of a run `{ fixture, input, seed, count }` once the steps in `shown`
 * have been printed (e.g. [0, 2] mid-run); `done` adds what the model prints
 * after its last step.
 */
export function logsFor(run, shown, done) {
  const { fixture, input, seed, count } = run;
  const steps = stepsOf(fixture, input);
  const bars = shown.map((n) => tqdmLine(n, steps));
  switch (fixture.logs) {
    case "cog-sdxl":
      return [`Using seed: ${seed}`, `Prompt: ${String(valueOf(fixture, input, "prompt") ?? "")}`, "txt2img mode", ...bars].join("\n");
    case "cog-flux": {
      const counter = valueOf(fixture, input, "go_fast") === false ? shown.map((n) => `${n}it [00:0${n ? 1 : 0}, ${n ? " 3.12it/s" : "?it/s"}]`) : bars;
      const tail = done ? [`Total safe images: ${count} out of ${count}`] : [];
      return [`Using seed: ${seed}`, ...counter, ...tail].join("\n");
    }
    case "diffusers":
      return bars.join("\n");
    default:
      return "";
  }
}
