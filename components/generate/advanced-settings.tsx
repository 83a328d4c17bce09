"use client";

import {
  ADVANCED_FIELDS,
  FIELD_LABELS,
  isPresetSize,
  parseSize,
  sizeValue,
  type FormErrors,
  type FormField,
  type FormValues,
} from "@/components/generate/form-values";
import { cx } from "@/components/ui/class-names";
import { Field } from "@/components/ui/field";
import {
  MAX_GUIDANCE,
  MAX_SEED,
  MAX_STEPS,
  MIN_GUIDANCE,
  MIN_SEED,
  MIN_STEPS,
  SIZE_PRESETS,
} from "@/lib/predictions/input-limits";

export type AdvancedSettingsProps = {
  values: FormValues;
  errors: FormErrors;
  /** Element id for each field, so error summaries can link to them. */
  fieldId: (field: FormField) => string;
  onChange: (field: FormField, value: string) => void;
  open: boolean;
  onOpenChange: (open: boolean) => void;
};

/**
 * The settings most people never touch, folded away in a native <details> (keyboard
 * and screen-reader support for free). It is controlled so the form can open it when
 * one of these fields has an error.
 */
export function AdvancedSettings({ values, errors, fieldId, onChange, open, onOpenChange }: AdvancedSettingsProps) {
  const { width, height } = parseSize(values.size);
  const hasErrors = ADVANCED_FIELDS.some((field) => errors[field]);

  return (
    <details
      open={open}
      onToggle={(event) => onOpenChange(event.currentTarget.open)}
      className="group rounded-lg border bg-surface"
    >
      <summary
        className={cx(
          "flex cursor-pointer list-none items-center justify-between gap-3 rounded-lg px-3.5 py-3 text-sm",
          "hover:bg-surface-strong [&::-webkit-details-marker]:hidden",
        )}
      >
        <span className="font-medium">
          Advanced settings
          {hasErrors ? <span className="ml-2 text-xs font-normal text-danger">Needs attention</span> : null}
        </span>
        <span className="flex min-w-0 items-center gap-2 text-xs text-muted">
          <span className="hidden truncate sm:inline">
            {width}×{height} · {values.steps || "default"} steps · {values.seed ? `seed ${values.seed}` : "random seed"}
          </span>
          <svg aria-hidden="true" viewBox="0 0 16 16" className="size-4 shrink-0 transition-transform group-open:rotate-180" fill="none" stroke="currentColor" strokeWidth="1.5">
            <path d="m4 6 4 4 4-4" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
        </span>
      </summary>

      <div className="space-y-4 border-t px-3.5 py-4">
        <Field
          id={fieldId("negativePrompt")}
          label={FIELD_LABELS.negativePrompt}
          hint="Things to keep out of the image."
          error={errors.negativePrompt}
        >
          {(control) => (
            <textarea
              {...control}
              name="negative_prompt"
              rows={2}
              value={values.negativePrompt}
              onChange={(event) => onChange("negativePrompt", event.target.value)}
              placeholder="blurry, low quality, text"
              className={cx(control.className, "resize-y")}
            />
          )}
        </Field>

        <Field id={fieldId("size")} label={FIELD_LABELS.size} error={errors.size}>
          {(control) => (
            <select {...control} name="size" value={values.size} onChange={(event) => onChange("size", event.target.value)}>
              {SIZE_PRESETS.map((preset) => (
                <option key={preset.label} value={sizeValue(preset.width, preset.height)}>
                  {preset.label} — {preset.width} × {preset.height}
                </option>
              ))}
              {/* A size that came in from elsewhere (e.g. re-using an image's settings) stays selectable. */}
              {isPresetSize(values.size) ? null : (
                <option value={values.size}>
                  Custom — {width} × {height}
                </option>
              )}
            </select>
          )}
        </Field>

        <div className="grid gap-4 sm:grid-cols-3">
          <Field id={fieldId("steps")} label={FIELD_LABELS.steps} hint={`${MIN_STEPS}–${MAX_STEPS}. More is slower.`} error={errors.steps}>
            {(control) => (
              <input
                {...control}
                name="num_inference_steps"
                type="number"
                inputMode="numeric"
                min={MIN_STEPS}
                max={MAX_STEPS}
                step={1}
                value={values.steps}
                onChange={(event) => onChange("steps", event.target.value)}
              />
            )}
          </Field>
          <Field id={fieldId("guidance")} label={FIELD_LABELS.guidance} hint={`${MIN_GUIDANCE}–${MAX_GUIDANCE}. How literally to follow the prompt.`} error={errors.guidance}>
            {(control) => (
              <input
                {...control}
                name="guidance_scale"
                type="number"
                inputMode="decimal"
                min={MIN_GUIDANCE}
                max={MAX_GUIDANCE}
                step={0.5}
                value={values.guidance}
                onChange={(event) => onChange("guidance", event.target.value)}
              />
            )}
          </Field>
          <Field id={fieldId("seed")} label={FIELD_LABELS.seed} hint="Blank for random." error={errors.seed}>
            {(control) => (
              <input
                {...control}
                name="seed"
                type="number"
                inputMode="numeric"
                min={MIN_SEED}
                max={MAX_SEED}
                step={1}
                placeholder="Random"
                value={values.seed}
                onChange={(event) => onChange("seed", event.target.value)}
              />
            )}
          </Field>
        </div>
      </div>
    </details>
  );
}
