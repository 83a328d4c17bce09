"use client";

import { useId, useRef, useState, useSyncExternalStore, type FormEvent, type KeyboardEvent } from "react";
import { AdvancedSettings } from "@/components/generate/advanced-settings";
import { createPrediction, RequestError } from "@/components/generate/api-client";
import { FormProblemNotice, type FormProblem } from "@/components/generate/form-problem-notice";
import {
  ADVANCED_FIELDS,
  initialFormValues,
  toFormErrors,
  toGenerationInput,
  type FormErrors,
  type FormField,
  type FormValues,
} from "@/components/generate/form-values";
import { ModelNotice } from "@/components/generate/model-notice";
import { isActiveStage } from "@/components/generate/prediction-stage";
import { PredictionStatus } from "@/components/generate/prediction-status";
import { usePrediction } from "@/components/generate/use-prediction";
import { Button } from "@/components/ui/button";
import { cx } from "@/components/ui/class-names";
import { Field } from "@/components/ui/field";
import { Spinner } from "@/components/ui/spinner";
import { MAX_PROMPT_LENGTH } from "@/lib/predictions/input-limits";
import type { GenerationInput } from "@/lib/predictions/input-schema";
import type { PredictionView, SaveImageResult } from "@/lib/predictions/types";

export type GenerateFormProps = {
  modelName: string;
  isLocalPreview: boolean;
  saveImage: (predictionId: string) => Promise<SaveImageResult>;
  initialInput?: Partial<GenerationInput>;
  pollIntervalMs?: number;
};

const RETURN_TO = "/dashboard/generate";

export function GenerateForm({ modelName, isLocalPreview, saveImage, initialInput, pollIntervalMs = 1000 }: GenerateFormProps) {
  const idPrefix = useId();
  const fieldId = (field: FormField) => `${idPrefix}-${field}`;
  const promptRef = useRef<HTMLTextAreaElement>(null);

  const [values, setValues] = useState<FormValues>(() => initialFormValues(initialInput));
  const [errors, setErrors] = useState<FormErrors>({});
  // A fresh key per problem remounts the notice, which is what moves focus to it.
  const [problem, setProblem] = useState<{ key: number; value: FormProblem } | null>(null);
  const [advancedOpen, setAdvancedOpen] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [created, setCreated] = useState<PredictionView | null>(null);

  const prediction = usePrediction({ created, pollIntervalMs, saveImage });
  const stalled = Boolean(prediction.saveFailure) || Boolean(prediction.pollFailure?.fatal);
  const busy = submitting || (created !== null && isActiveStage(prediction.stage) && !stalled);
  const isMac = useIsMac();

  function change(field: FormField, value: string) {
    setValues((current) => ({ ...current, [field]: value }));
    // A corrected field stops shouting; the rest keep their messages until the next submit.
    if (errors[field]) {
      setErrors((current) => {
        const next = { ...current };
        delete next[field];
        return next;
      });
    }
  }

  function showProblem(value: FormProblem) {
    setProblem((current) => ({ key: (current?.key ?? 0) + 1, value }));
  }

  function showFieldErrors(fieldErrors: FormErrors, other: string[] = []) {
    setErrors(fieldErrors);
    if (ADVANCED_FIELDS.some((field) => fieldErrors[field])) setAdvancedOpen(true);
    showProblem({ kind: "fields", errors: fieldErrors, other });
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    const parsed = toGenerationInput(values);
    if (!parsed.ok) return showFieldErrors(parsed.errors);

    setErrors({});
    setProblem(null);
    setCreated(null);
    setSubmitting(true);
    try {
      setCreated(await createPrediction(parsed.input));
    } catch (error) {
      const failure =
        error instanceof RequestError
          ? error.failure
          : { status: null, code: "unknown", message: "Something went wrong. Please try again." };
      if (failure.status === 422 && failure.fields) {
        const mapped = toFormErrors(failure.fields);
        const nothingMapped = Object.keys(mapped.errors).length === 0 && mapped.other.length === 0;
        showFieldErrors(mapped.errors, nothingMapped ? [failure.message] : mapped.other);
      } else {
        showProblem({ kind: "request", failure });
      }
    } finally {
      setSubmitting(false);
    }
  }

  function submitOnShortcut(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      event.currentTarget.form?.requestSubmit();
    }
  }

  function generateAnother() {
    setCreated(null);
    setProblem(null);
    promptRef.current?.focus();
  }

  const promptLength = values.prompt.length;
  const counterId = `${idPrefix}-prompt-counter`;

  return (
    <div className="grid items-start gap-6 lg:grid-cols-[minmax(0,28rem)_minmax(0,1fr)] lg:gap-10">
      <div className="min-w-0 space-y-5">
        <ModelNotice modelName={modelName} isLocalPreview={isLocalPreview} />

        {problem ? (
          <FormProblemNotice key={problem.key} problem={problem.value} fieldId={fieldId} returnTo={RETURN_TO} />
        ) : null}

        <form onSubmit={submit} noValidate className="space-y-5">
          {/* Disabling the fieldset locks every control while a prediction runs, keeping the values visible. */}
          <fieldset disabled={busy} className="min-w-0 space-y-5">
            <legend className="sr-only">Image settings</legend>
            <Field
              id={fieldId("prompt")}
              label="Prompt"
              error={errors.prompt}
              describedBy={counterId}
              aside={
                <span
                  id={counterId}
                  className={cx("font-mono text-xs tabular-nums", promptLength > MAX_PROMPT_LENGTH ? "text-danger" : "text-muted")}
                >
                  <span aria-hidden="true">
                    {promptLength} / {MAX_PROMPT_LENGTH}
                  </span>
                  <span className="sr-only">
                    {promptLength} of {MAX_PROMPT_LENGTH} characters
                  </span>
                </span>
              }
            >
              {(control) => (
                <textarea
                  {...control}
                  ref={promptRef}
                  name="prompt"
                  rows={5}
                  required
                  value={values.prompt}
                  onChange={(event) => change("prompt", event.target.value)}
                  onKeyDown={submitOnShortcut}
                  placeholder="A lighthouse on a basalt cliff at dusk, volumetric light, 35mm film"
                  className={cx(control.className, "min-h-28 resize-y leading-relaxed")}
                />
              )}
            </Field>

            <AdvancedSettings
              values={values}
              errors={errors}
              fieldId={fieldId}
              onChange={change}
              open={advancedOpen}
              onOpenChange={setAdvancedOpen}
            />
          </fieldset>

          <div className="flex flex-wrap items-center gap-x-4 gap-y-2">
            <Button type="submit" disabled={busy} className="min-w-32">
              {busy ? <Spinner /> : null}
              {submitting ? "Starting…" : busy ? "Generating…" : "Generate"}
            </Button>
            <p className="text-xs text-muted">
              or press{" "}
              <kbd className="rounded border bg-surface px-1 py-0.5 font-mono text-[0.7rem]">{isMac ? "⌘" : "Ctrl"}</kbd>{" "}
              <kbd className="rounded border bg-surface px-1 py-0.5 font-mono text-[0.7rem]">Enter</kbd> in the prompt
            </p>
          </div>
        </form>
      </div>

      <div className="min-w-0">
        {created ? (
          <PredictionStatus key={created.id} state={prediction} prompt={values.prompt} onGenerateAnother={generateAnother} />
        ) : (
          <div className="flex aspect-square w-full items-center justify-center rounded-xl border border-dashed bg-surface p-6 text-center text-sm text-muted lg:aspect-[4/3]">
            {submitting ? "Sending your request…" : "Your image will appear here."}
          </div>
        )}
      </div>
    </div>
  );
}

const subscribeNever = () => () => {};

/** The shortcut hint says ⌘ on Apple devices. The server renders "Ctrl"; the browser corrects it after hydration. */
function useIsMac(): boolean {
  return useSyncExternalStore(
    subscribeNever,
    () => /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent),
    () => false,
  );
}
