/**
 * How a `format: uri` input is named everywhere inside the app: `input:<uuid>`,
 * the id of one of the person's own uploaded input images. The form holds it,
 * `POST /api/replicate` receives it, the validators accept exactly it (never a
 * URL: a URL a browser sent could point anywhere, and one that expires would
 * make a stored prediction useless), and predictions store it. The server turns
 * it into what the model takes (a Replicate file URL, or a file on disk for the
 * local model) right before create. Plain code with no dependencies: the
 * browser's check uses it too.
 */

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

/** For the JSON Schema `pattern` the server's validator adds to every image input. */
export const INPUT_REF_PATTERN = `^input:${UUID}$`;
const INPUT_REF = new RegExp(INPUT_REF_PATTERN);

export function isInputRef(value: unknown): value is string {
  return typeof value === "string" && INPUT_REF.test(value);
}

export function inputRef(id: string): string {
  return `input:${id.toLowerCase()}`;
}

/** The input id a reference names, or null for anything else. */
export function inputIdOf(value: unknown): string | null {
  return isInputRef(value) ? value.slice("input:".length) : null;
}

/** Every input reference among an input's values, by input name. */
export function inputRefsOf(input: Record<string, unknown>): Array<{ name: string; id: string }> {
  return Object.entries(input).flatMap(([name, value]) => {
    const id = inputIdOf(value);
    return id ? [{ name, id }] : [];
  });
}
