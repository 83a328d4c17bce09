/**
 * How a Replicate model is named in the environment (REPLICATE_MODEL,
 * REPLICATE_MODELS, REPLICATE_MODEL_VERSION), parsed in one place:
 * - `owner/name`             an official model, run by name at its newest version;
 * - `owner/name:version`     any model, pinned to one version;
 * - `deployment:owner/name`  a deployment (its current release decides the version);
 * - a bare 64-hex version    the original setup's REPLICATE_MODEL_VERSION.
 */

export type ModelRef =
  | { kind: "model"; owner: string; name: string }
  | { kind: "version"; owner: string; name: string; version: string }
  | { kind: "deployment"; owner: string; name: string };

const NAME = "[A-Za-z0-9][A-Za-z0-9._-]*";
const VERSION = "[a-f0-9]{64}";
const MODEL_PATTERN = new RegExp(`^(${NAME})/(${NAME})$`);
const VERSION_PATTERN = new RegExp(`^(${NAME})/(${NAME}):(${VERSION})$`);
const DEPLOYMENT_PATTERN = new RegExp(`^deployment:(${NAME})/(${NAME})$`);
export const BARE_VERSION_PATTERN = new RegExp(`^${VERSION}$`);

export const SDXL_MODEL = "stability-ai/sdxl";
/** The SDXL version the original setup pinned; the default when no model is configured. */
export const DEFAULT_SDXL_VERSION = "2b017d9b67edd2ee1401238df49d75da53c523f36e363881e057f5dc3ed3c5b2";

const HOW_TO_WRITE =
  'write "owner/name" for an official model, "owner/name:<64-character version id>" to pin any model, or "deployment:owner/name" for a deployment';

export function parseModelRef(text: string): { ok: true; ref: ModelRef } | { ok: false; message: string } {
  const value = text.trim();
  let match = VERSION_PATTERN.exec(value);
  if (match) return { ok: true, ref: { kind: "version", owner: match[1], name: match[2], version: match[3] } };
  match = MODEL_PATTERN.exec(value);
  if (match) return { ok: true, ref: { kind: "model", owner: match[1], name: match[2] } };
  match = DEPLOYMENT_PATTERN.exec(value);
  if (match) return { ok: true, ref: { kind: "deployment", owner: match[1], name: match[2] } };
  if (BARE_VERSION_PATTERN.test(value)) {
    return {
      ok: false,
      message: `"${value}" is a bare version id: a version's schema can only be read with its model's name, so write "owner/name:${value}"`,
    };
  }
  return { ok: false, message: `"${value}" is not a model reference: ${HOW_TO_WRITE}` };
}

/** The text a reference is written as; parseModelRef(formatModelRef(r)) gives r back. */
export function formatModelRef(ref: ModelRef): string {
  switch (ref.kind) {
    case "model":
      return `${ref.owner}/${ref.name}`;
    case "version":
      return `${ref.owner}/${ref.name}:${ref.version}`;
    case "deployment":
      return `deployment:${ref.owner}/${ref.name}`;
  }
}

/** Names people know a few models by; everything else is shown as owner/name. */
const DISPLAY_NAMES: Record<string, string> = {
  [SDXL_MODEL]: "Stable Diffusion XL",
  "black-forest-labs/flux-schnell": "FLUX.1 [schnell]",
  "black-forest-labs/flux-dev": "FLUX.1 [dev]",
  "black-forest-labs/flux-1.1-pro": "FLUX1.1 [pro]",
  "stability-ai/stable-diffusion-3.5-large": "Stable Diffusion 3.5 Large",
  "bytedance/sdxl-lightning-4step": "SDXL-Lightning (4 steps)",
};

export function displayNameOf(owner: string, name: string): string {
  return DISPLAY_NAMES[`${owner}/${name}`] ?? `${owner}/${name}`;
}
