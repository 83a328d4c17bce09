"use client";

import type { KeyboardEvent, Ref } from "react";
import { AspectRatioChoice, SegmentedChoice, Switch } from "@/components/generate/choice-controls";
import { controlOf } from "@/components/generate/field-hints";
import type { RawValue } from "@/components/generate/form-state";
import { Button } from "@/components/ui/button";
import { cx } from "@/components/ui/class-names";
import { Field } from "@/components/ui/field";
import type { InputField } from "@/lib/models/input-fields";

export type InputControlProps = {
  field: InputField;
  /** The element id an error summary links to. */
  id: string;
  value: RawValue;
  error?: string;
  onChange: (value: RawValue) => void;
  /** For the prompt: focus after "Generate another", and Ctrl/⌘+Enter to submit. */
  promptRef?: Ref<HTMLTextAreaElement>;
  onPromptKeyDown?: (event: KeyboardEvent<HTMLTextAreaElement>) => void;
};

/** One model input, drawn with the control its name or kind calls for (field-hints.ts). */
export function InputControl({ field, id, value, error, onChange, promptRef, onPromptKeyDown }: InputControlProps) {
  const text = typeof value === "string" ? value : "";
  const common = { id, error, hint: field.description } as const;
  const set = (next: string) => onChange(next);

  switch (controlOf(field)) {
    case "prompt":
      return <PromptControl {...common} field={field} value={text} onChange={set} textareaRef={promptRef} onKeyDown={onPromptKeyDown} />;
    case "textarea":
      return (
        <Field {...common} label={field.title}>
          {(control) => (
            <textarea
              {...control}
              name={field.name}
              rows={2}
              value={text}
              onChange={(event) => set(event.target.value)}
              className={cx(control.className, "resize-y")}
            />
          )}
        </Field>
      );
    case "aspect-ratio":
      return <AspectRatioChoice {...common} name={field.name} legend={field.title} value={text} onChange={set} options={field.options ?? []} />;
    case "segmented":
      return (
        <SegmentedChoice
          {...common}
          name={field.name}
          legend={field.title}
          value={text}
          onChange={set}
          minimum={field.minimum ?? 1}
          maximum={field.maximum ?? 1}
        />
      );
    case "switch":
      return <Switch {...common} label={field.title} checked={value === true} onChange={onChange} />;
    case "select":
      return (
        <Field {...common} label={field.title}>
          {(control) => (
            <select {...control} name={field.name} value={text} onChange={(event) => set(event.target.value)}>
              {field.default === undefined ? <option value="">{field.required ? "Choose…" : "Model default"}</option> : null}
              {(field.options ?? []).map((option) => (
                <option key={String(option)} value={String(option)}>
                  {String(option)}
                </option>
              ))}
            </select>
          )}
        </Field>
      );
    case "slider":
      return <SliderControl {...common} field={field} value={text} onChange={set} />;
    case "seed":
      return (
        <Field {...common} label={field.title} hint={field.description ?? "Blank for a random seed."}>
          {(control) => (
            <div className="flex gap-2">
              <NumberBox control={control} field={field} value={text} onChange={set} placeholder="Random" />
              <Button variant="secondary" className="h-auto" onClick={() => set("")} disabled={text === ""}>
                Random
              </Button>
            </div>
          )}
        </Field>
      );
    case "size":
    case "number":
      return (
        <Field {...common} label={field.title}>
          {(control) => <NumberBox control={control} field={field} value={text} onChange={set} step={controlOf(field) === "size" ? 8 : undefined} />}
        </Field>
      );
    case "text":
      return (
        <Field {...common} label={field.title}>
          {(control) => <input {...control} type="text" name={field.name} value={text} onChange={(event) => set(event.target.value)} />}
        </Field>
      );
  }
}

type ControlAttributes = Parameters<Parameters<typeof Field>[0]["children"]>[0];

function NumberBox({
  control,
  field,
  value,
  onChange,
  step,
  placeholder,
  className,
}: {
  control: ControlAttributes;
  field: InputField;
  value: string;
  onChange: (value: string) => void;
  step?: number;
  placeholder?: string;
  className?: string;
}) {
  return (
    <input
      {...control}
      type="number"
      name={field.name}
      inputMode={field.kind === "integer" ? "numeric" : "decimal"}
      min={field.minimum}
      max={field.maximum}
      step={step ?? (field.kind === "integer" ? 1 : "any")}
      placeholder={placeholder ?? (field.default === undefined ? "Model default" : undefined)}
      value={value}
      onChange={(event) => onChange(event.target.value)}
      className={cx(control.className, className)}
    />
  );
}

/**
 * A range slider and a number box bound to one value. The number box is the
 * labelled control (exact values, arrow keys, what the error summary focuses);
 * the slider is a pointer shortcut beside it, hidden from assistive tech so the
 * same setting is not announced twice.
 */
function SliderControl({ field, value, onChange, ...common }: { id: string; error?: string; hint: string | null; field: InputField; value: string; onChange: (value: string) => void }) {
  const minimum = field.minimum ?? 0;
  const maximum = field.maximum ?? 1;
  const parsed = Number(value);
  const position = value.trim() !== "" && Number.isFinite(parsed) ? Math.min(maximum, Math.max(minimum, parsed)) : minimum;
  const step = field.kind === "integer" ? 1 : maximum - minimum <= 1 ? 0.01 : maximum - minimum <= 20 ? 0.1 : 0.5;
  return (
    <Field {...common} label={field.title}>
      {(control) => (
        <div className="flex items-center gap-3">
          <input
            type="range"
            aria-hidden="true"
            tabIndex={-1}
            min={minimum}
            max={maximum}
            step={step}
            value={position}
            onChange={(event) => onChange(event.target.value)}
            className="h-2 min-w-0 flex-1 cursor-pointer accent-(--color-foreground) disabled:cursor-not-allowed"
          />
          {/* Important: the control's own classes say w-full, which would otherwise win and squeeze the slider to nothing. */}
          <NumberBox control={control} field={field} value={value} onChange={onChange} className="w-24! shrink-0 tabular-nums" />
        </div>
      )}
    </Field>
  );
}

function PromptControl({
  id,
  error,
  hint,
  field,
  value,
  onChange,
  textareaRef,
  onKeyDown,
}: {
  id: string;
  error?: string;
  hint: string | null;
  field: InputField;
  value: string;
  onChange: (value: string) => void;
  textareaRef?: Ref<HTMLTextAreaElement>;
  onKeyDown?: (event: KeyboardEvent<HTMLTextAreaElement>) => void;
}) {
  const counterId = `${id}-counter`;
  // Code points, as the check counts them.
  const length = [...value].length;
  const limit = field.maxLength;
  return (
    <Field
      id={id}
      label={field.title}
      error={error}
      hint={hint}
      describedBy={limit ? counterId : undefined}
      aside={
        limit ? (
          <span id={counterId} className={cx("font-mono text-xs tabular-nums", length > limit ? "text-danger" : "text-muted")}>
            <span aria-hidden="true">
              {length} / {limit}
            </span>
            <span className="sr-only">
              {length} of {limit} characters
            </span>
          </span>
        ) : null
      }
    >
      {(control) => (
        <textarea
          {...control}
          ref={textareaRef}
          name={field.name}
          rows={5}
          required={field.required}
          value={value}
          onChange={(event) => onChange(event.target.value)}
          onKeyDown={onKeyDown}
          placeholder="A lighthouse on a basalt cliff at dusk, volumetric light, 35mm film"
          className={cx(control.className, "min-h-28 resize-y leading-relaxed")}
        />
      )}
    </Field>
  );
}
