/**
 * Replicate's create-time input rules, written by hand so tests can hold the
 * app's own validation against an independent implementation.
 *
 * Where the wording comes from: Replicate's error `type` values (`number_lte`,
 * `required`, `additional_property_not_allowed`) are exactly the error types of
 * github.com/xeipuuv/gojsonschema (errors.go), and its messages are that
 * library's DefaultLocale (locales.go). Two real Replicate bodies confirm the
 * mapping: the `number_lte` example in FACTS.md and
 *   {"detail":"- input: prompt is required\n","status":422,"title":"Input validation failed",
 *    "invalid_fields":[{"type":"required","field":"input","description":"prompt is required"}]}
 * (quoted in a public repo's notes on a Replicate 422). So Replicate validates the
 * request body with gojsonschema; `field` is the JSON path with gojsonschema's
 * "(root)." stripped, and `detail` is one "- <field>: <description>\n" line per error.
 *
 *   kind      type            description (gojsonschema DefaultLocale)
 *   required  required        "<property> is required"            (field: "input")
 *   type      invalid_type    "Invalid type. Expected: <t>, given: <t>"
 *   enum      enum            "<field> must be one of the following: <json values, ", ">"
 *                             plus number_all_of "Must validate all the schemas (allOf)"
 *                             because Cog wraps enums in allOf (gojsonschema adds both)
 *   maximum   number_lte      "Must be less than or equal to <max>"
 *   minimum   number_gte      "Must be greater than or equal to <min>"
 * Only `required` and `number_lte` were seen in real Replicate bodies; the others
 * follow from the library and were not seen in a captured response.
 *
 * `format: uri` is checked as gojsonschema does ("Does not match format 'uri'",
 * type `format`), but stricter: gojsonschema accepts any scheme (so the app's
 * own `input:<uuid>` would pass), while Cog can only fetch http(s) and data
 * URIs and would fail the run; an app that forgot to resolve a reference is
 * caught here, at create. Replicate Files API URLs (`urls.get` of POST
 * /v1/files, https) pass. Known differences:
 * JSON 4.0 is an integer to gojsonschema and to JavaScript alike, but Go keeps
 * big numbers exact; and gojsonschema visits properties in Go map order, so the
 * real order of several errors is not fixed. Here errors follow x-order.
 */

export const INPUT_VALIDATION_TITLE = "Input validation failed";

/**
 * POST /v1/predictions with an unknown version (or one the token may not use).
 * Body as quoted from a real 422 in a public repo's notes (ACE-Step fix) and in
 * replicate/replicate-python#320.
 */
export const INVALID_VERSION = {
  status: 422,
  body: {
    title: "Invalid version or not permitted",
    detail: "The specified version does not exist (or perhaps you don't have permission to use it?)",
    status: 422,
  },
};

/**
 * A community model run by name (POST /v1/models/{o}/{n}/predictions). In 2024
 * Replicate answered with the invalid-version 422 (replicate/replicate-python#320,
 * bytedance/sdxl-lightning-4step); a 2026 report (backblaze-labs/genblaze#109)
 * says it 404s now, without quoting the body. The quoted body is used here.
 */
export const COMMUNITY_MODEL_BY_NAME = INVALID_VERSION;

/**
 * GET /v1/models/{o}/{n} (or a create on it) for a model that does not exist.
 * Body quoted in replicate/replicate-javascript#347 and n4ze3m/dialoqbase#214.
 */
export const MODEL_NOT_FOUND = { status: 404, body: { detail: "The requested resource could not be found.", status: 404 } };

/** GET .../versions/{id} for an unknown id: body quoted in n4ze3m/dialoqbase#214. */
export const VERSION_NOT_FOUND = { status: 404, body: { detail: "Not found." } };

const resolveRef = (schema, ref) => {
  const name = String(ref).replace("#/components/schemas/", "");
  return schema?.components?.schemas?.[name];
};

/** gojsonschema's name for a JSON value's type. */
function givenType(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function typeMatches(expected, value) {
  const given = givenType(value);
  if (expected === "number") return given === "number" || given === "integer";
  return expected === given;
}

/** Validates one value against one (sub)schema; pushes errors in gojsonschema's order. */
function check(openapiSchema, sub, value, field, errors) {
  if (!sub) return;
  if (sub.$ref) return check(openapiSchema, resolveRef(openapiSchema, sub.$ref), value, field, errors);
  if (sub.type && !typeMatches(sub.type, value)) {
    errors.push({ type: "invalid_type", field, description: `Invalid type. Expected: ${sub.type}, given: ${givenType(value)}` });
    return;
  }
  if (Array.isArray(sub.allOf)) {
    let failed = false;
    for (const part of sub.allOf) {
      const before = errors.length;
      check(openapiSchema, part, value, field, errors);
      if (errors.length > before) failed = true;
    }
    if (failed) errors.push({ type: "number_all_of", field, description: "Must validate all the schemas (allOf)" });
  }
  if (Array.isArray(sub.enum) && !sub.enum.some((allowed) => JSON.stringify(allowed) === JSON.stringify(value))) {
    const allowed = sub.enum.map((v) => JSON.stringify(v)).join(", ");
    errors.push({ type: "enum", field, description: `${field} must be one of the following: ${allowed}` });
  }
  if (sub.format === "uri" && typeof value === "string" && !/^(https?:\/\/[^\s/]+\/\S*|data:[^,]*,)/.test(value)) {
    errors.push({ type: "format", field, description: "Does not match format 'uri'" });
  }
  if (typeof value === "number") {
    // Go prints the bound with big.Float's %g: the same text as String(n) for the bounds schemas use.
    if (typeof sub.maximum === "number" && value > sub.maximum) {
      errors.push({ type: "number_lte", field, description: `Must be less than or equal to ${sub.maximum}` });
    }
    if (typeof sub.minimum === "number" && value < sub.minimum) {
      errors.push({ type: "number_gte", field, description: `Must be greater than or equal to ${sub.minimum}` });
    }
  }
}

const inputSchemaOf = (openapiSchema) => openapiSchema?.components?.schemas?.Input ?? { properties: {} };

function failure(errors) {
  return {
    ok: false,
    status: 422,
    body: {
      title: INPUT_VALIDATION_TITLE,
      detail: errors.map((e) => (e.field ? `- ${e.field}: ${e.description}\n` : `- ${e.description}\n`)).join(""),
      status: 422,
      invalid_fields: errors,
    },
  };
}

/**
 * Replicate's create-time check of `input` against a version's OpenAPI schema.
 * Returns the input with undeclared names dropped (Replicate ignores them), or
 * the 422 Replicate sends.
 */
export function validateLikeReplicate(openapiSchema, input) {
  if (input === undefined) {
    // Seen in Replicate's changelog (2024-05-01): field "", description "input is required".
    return failure([{ type: "required", field: "", description: "input is required" }]);
  }
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    return failure([{ type: "invalid_type", field: "input", description: `Invalid type. Expected: object, given: ${givenType(input)}` }]);
  }
  const schema = inputSchemaOf(openapiSchema);
  const properties = schema.properties ?? {};
  const errors = [];
  for (const name of schema.required ?? []) {
    if (!Object.hasOwn(input, name)) errors.push({ type: "required", field: "input", description: `${name} is required` });
  }
  const declared = Object.keys(properties).sort((a, b) => (properties[a]["x-order"] ?? 0) - (properties[b]["x-order"] ?? 0));
  const kept = {};
  for (const name of declared) {
    if (!Object.hasOwn(input, name)) continue;
    kept[name] = input[name];
    check(openapiSchema, properties[name], input[name], `input.${name}`, errors);
  }
  return errors.length > 0 ? failure(errors) : { ok: true, input: kept };
}

/** The value an input takes on the model: what was sent, else the schema default. */
function valueOf(openapiSchema, input, name) {
  if (input && Object.hasOwn(input, name) && input[name] !== null) return input[name];
  return inputSchemaOf(openapiSchema).properties?.[name]?.default;
}

const declares = (openapiSchema, name) => Object.hasOwn(inputSchemaOf(openapiSchema).properties ?? {}, name);

/**
 * How many outputs a run returns and in what format: num_outputs where the model
 * declares it (else 1), output_format where declared (else the fixture's format;
 * "jpg" stays "jpg" as in Cog's out-<i>.jpg file names).
 */
export function outputsFor(fixture, input) {
  const schema = fixture.model.latest_version.openapi_schema;
  const count = declares(schema, "num_outputs") ? Number(valueOf(schema, input, "num_outputs") ?? 1) : 1;
  const format = declares(schema, "output_format") ? String(valueOf(schema, input, "output_format") ?? fixture.outputFormat) : fixture.outputFormat;
  return { count, format };
}

/** cog-flux predict.py ASPECT_RATIOS: the 1-megapixel size for each ratio. */
export const FLUX_ASPECT_RATIOS = {
  "1:1": [1024, 1024],
  "16:9": [1344, 768],
  "21:9": [1536, 640],
  "3:2": [1216, 832],
  "2:3": [832, 1216],
  "4:5": [896, 1088],
  "5:4": [1088, 896],
  "3:4": [896, 1152],
  "4:3": [1152, 896],
  "9:16": [768, 1344],
  "9:21": [640, 1536],
};

/**
 * The pixel size of each output. Models with width/height inputs and no
 * aspect_ratio (SDXL) use them; aspect_ratio models use cog-flux's table, with
 * megapixels "0.25" halving both sides (size_from_aspect_megapixels). flux-1.1-pro's
 * "custom" uses width/height rounded to the nearest multiple of 32, as its schema
 * says (1024 when unset: reconstructed). For SD 3.5 and flux-1.1-pro the table is
 * cog-flux's (their closed APIs' exact sizes were not found).
 */
export function outputSizeFor(fixture, input) {
  const schema = fixture.model.latest_version.openapi_schema;
  if (declares(schema, "aspect_ratio")) {
    const ratio = String(valueOf(schema, input, "aspect_ratio") ?? "1:1");
    if (ratio === "custom") {
      const round32 = (n) => Math.max(32, Math.round(Number(n ?? 1024) / 32) * 32);
      return { width: round32(valueOf(schema, input, "width")), height: round32(valueOf(schema, input, "height")) };
    }
    let [width, height] = FLUX_ASPECT_RATIOS[ratio] ?? [1024, 1024];
    if (declares(schema, "megapixels") && String(valueOf(schema, input, "megapixels")) === "0.25") {
      width = Math.floor(width / 2);
      height = Math.floor(height / 2);
    }
    return { width, height };
  }
  return { width: Number(valueOf(schema, input, "width") ?? 1024), height: Number(valueOf(schema, input, "height") ?? 1024) };
}
