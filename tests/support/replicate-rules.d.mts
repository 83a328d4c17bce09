import type { ModelFixture } from "@/tests/fixtures/replicate-models";

export type InvalidField = { type: string; field: string; description: string };
export type ValidationErrorBody = { title: string; detail: string; status: 422; invalid_fields: InvalidField[] };
export type ReplicateRefusal = { status: number; body: Record<string, unknown> };

export declare const INPUT_VALIDATION_TITLE: "Input validation failed";
export declare const INVALID_VERSION: { status: 422; body: { title: string; detail: string; status: 422 } };
export declare const COMMUNITY_MODEL_BY_NAME: ReplicateRefusal;
export declare const MODEL_NOT_FOUND: { status: 404; body: { detail: string; status: 404 } };
export declare const VERSION_NOT_FOUND: { status: 404; body: { detail: string } };
export declare const FLUX_ASPECT_RATIOS: Record<string, [number, number]>;

export declare function validateLikeReplicate(
  openapiSchema: unknown,
  input: unknown,
): { ok: true; input: Record<string, unknown> } | { ok: false; status: 422; body: ValidationErrorBody };

export declare function outputsFor(fixture: ModelFixture, input: Record<string, unknown> | undefined): { count: number; format: string };

export declare function outputSizeFor(fixture: ModelFixture, input: Record<string, unknown> | undefined): { width: number; height: number };
