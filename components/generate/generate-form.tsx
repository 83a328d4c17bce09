"use client";

import { lazy, Suspense, useId, useRef, useState, useSyncExternalStore, type FormEvent, type KeyboardEvent, type ReactNode } from "react";
import { AdvancedSettings } from "@/components/generate/advanced-settings";
import { createPrediction, RequestError } from "@/components/generate/api-client";
import { controlOf, MASKED_IMAGE_INPUT, parseRatio, placementOf } from "@/components/generate/field-hints";
import { ImageInputControl, type GalleryChoice } from "@/components/generate/image-input-control";
import type { InputImage } from "@/components/generate/input-upload";
import { MaskPainter } from "@/components/generate/mask-painter";
import { FormProblemNotice, type FormProblem } from "@/components/generate/form-problem-notice";
import {
  carryOverValues,
  initialRawValues,
  splitErrors,
  toInputDraft,
  type FormErrors,
  type RawValue,
  type RawValues,
} from "@/components/generate/form-state";
import { InputControl } from "@/components/generate/input-control";
import { ModelPicker } from "@/components/generate/model-picker";
import { Button } from "@/components/ui/button";
import { Spinner } from "@/components/ui/spinner";
import { checkInput } from "@/lib/models/input-check";
import type { InputField, InputValues, ModelOption } from "@/lib/models/input-fields";
import type { PredictionView, SaveImageResult } from "@/lib/predictions/types";

export type GenerateFormProps = {
  /** The configured models; the first available one is the default. */
  models: ModelOption[];
  /** The model to start on (when reusing an image's settings). */
  initialModelKey?: string;
  initialInput?: InputValues;
  /** Previews of the input images `initialInput` refers to, by reference. */
  initialInputImages?: Record<string, InputImage>;
  /** The person's recent gallery images, offered as image inputs. */
  gallery?: GalleryChoice[];
  saveImage: (predictionId: string) => Promise<SaveImageResult>;
  pollIntervalMs?: number;
};

const RETURN_TO = "/dashboard/generate";

// Following a prediction (polling, saving, the status panel) is only needed once
// something was sent: a first visit does not download it. Its loading starts
// with the submit, alongside the request, so it is there by the time the answer is.
const loadPredictionRun = () => import("@/components/generate/prediction-run");
const PredictionRun = lazy(() => loadPredictionRun().then((module) => ({ default: module.PredictionRun })));

function startingModel(models: readonly ModelOption[], key: string | undefined): ModelOption | null {
  return models.find((model) => model.key === key && model.available) ?? models.find((model) => model.available) ?? models[0] ?? null;
}

/** Prompt first, then by the schema's order; width and height sit side by side. */
function sortFields(fields: readonly InputField[]): { main: InputField[]; advanced: InputField[] } {
  const main = fields.filter((field) => placementOf(field) === "main");
  main.sort((a, b) => Number(controlOf(b) === "prompt") - Number(controlOf(a) === "prompt") || a.order - b.order);
  return { main, advanced: fields.filter((field) => placementOf(field) === "advanced") };
}

/** The shape placeholders take before the images arrive: what was asked for, else square. */
function requestedRatio(input: InputValues | undefined): number {
  const width = input?.width;
  const height = input?.height;
  if (typeof width === "number" && typeof height === "number" && width > 0 && height > 0) return width / height;
  return typeof input?.aspect_ratio === "string" ? (parseRatio(input.aspect_ratio) ?? 1) : 1;
}

export function GenerateForm({
  models,
  initialModelKey,
  initialInput,
  initialInputImages = {},
  gallery = [],
  saveImage,
  pollIntervalMs = 1000,
}: GenerateFormProps) {
  const idPrefix = useId();
  const fieldId = (name: string) => `${idPrefix}-field-${name}`;
  const promptRef = useRef<HTMLTextAreaElement>(null);

  const [modelKey, setModelKey] = useState(() => startingModel(models, initialModelKey)?.key ?? null);
  const model = models.find((option) => option.key === modelKey) ?? null;
  const fields = model?.fields ?? [];
  const [values, setValues] = useState<RawValues>(() => initialRawValues(startingModel(models, initialModelKey)?.fields ?? [], initialInput));
  const [errors, setErrors] = useState<FormErrors>({});
  // A fresh key per problem remounts the notice, which is what moves focus to it.
  const [problem, setProblem] = useState<{ key: number; value: FormProblem } | null>(null);
  const [advancedOpen, setAdvancedOpen] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [created, setCreated] = useState<PredictionView | null>(null);
  // The form holds `input:<id>` references; these are what it knows to show for them.
  const [inputImages, setInputImages] = useState<Record<string, InputImage>>(initialInputImages);
  const [uploads, setUploads] = useState(0);

  // The run holds the form from its creation until PredictionRun says it is over or stuck.
  const [runActive, setRunActive] = useState(false);
  const busy = submitting || (created !== null && runActive);
  const uploading = uploads > 0;
  const canGenerate = Boolean(model?.available);
  const isMac = useIsMac();
  const { main, advanced } = sortFields(fields);
  const fieldLabel = (name: string) => fields.find((field) => field.name === name)?.title ?? name;

  function change(name: string, value: RawValue) {
    setValues((current) => ({ ...current, [name]: value }));
    // A corrected field stops shouting; the rest keep their messages until the next submit.
    if (errors[name]) {
      setErrors((current) => {
        const next = { ...current };
        delete next[name];
        return next;
      });
    }
  }

  function pickModel(key: string) {
    const next = models.find((option) => option.key === key);
    if (!next || next.key === modelKey) return;
    setValues((current) => carryOverValues(fields, next.fields, current));
    setModelKey(next.key);
    setErrors({});
    setProblem(null);
  }

  function showProblem(value: FormProblem) {
    setProblem((current) => ({ key: (current?.key ?? 0) + 1, value }));
  }

  function showFieldErrors({ errors: fieldErrors, other }: { errors: FormErrors; other: string[] }) {
    setErrors(fieldErrors);
    if (advanced.some((field) => fieldErrors[field.name])) setAdvancedOpen(true);
    showProblem({ kind: "fields", errors: fieldErrors, other });
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy || uploading || !model || !canGenerate) return;
    const checked = checkInput(fields, toInputDraft(fields, values));
    if (!checked.ok) return showFieldErrors(splitErrors(fields, checked.fields));

    setErrors({});
    setProblem(null);
    setCreated(null);
    setSubmitting(true);
    void loadPredictionRun();
    try {
      const answer = await createPrediction({ model: model.key, input: checked.input });
      setRunActive(true);
      setCreated(answer);
    } catch (error) {
      const failure =
        error instanceof RequestError
          ? error.failure
          : { status: null, code: "unknown", message: "Something went wrong. Please try again." };
      if (failure.status === 422 && failure.fields) {
        const split = splitErrors(fields, failure.fields);
        const nothingSplit = Object.keys(split.errors).length === 0 && split.other.length === 0;
        showFieldErrors(nothingSplit ? { errors: {}, other: [failure.message] } : split);
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

  const imageOf = (name: string) => {
    const ref = values[name];
    return typeof ref === "string" ? (inputImages[ref] ?? null) : null;
  };
  const imageControlProps = (field: InputField) => ({
    field,
    id: fieldId(field.name),
    error: errors[field.name],
    gallery,
    onBusyChange: (on: boolean) => setUploads((count) => Math.max(0, count + (on ? 1 : -1))),
    onChange: (image: InputImage | null) => {
      if (image) setInputImages((current) => ({ ...current, [image.ref]: image }));
      change(field.name, image?.ref ?? "");
    },
  });

  const control = (field: InputField) =>
    field.kind === "image" ? (
      controlOf(field) === "mask" ? (
        <MaskPainter key={`${modelKey}:${field.name}`} {...imageControlProps(field)} base={imageOf(MASKED_IMAGE_INPUT)} mask={imageOf(field.name)} />
      ) : (
        <ImageInputControl key={`${modelKey}:${field.name}`} {...imageControlProps(field)} image={imageOf(field.name)} />
      )
    ) : (
    <InputControl
      key={`${modelKey}:${field.name}`}
      field={field}
      id={fieldId(field.name)}
      value={values[field.name] ?? ""}
      error={errors[field.name]}
      onChange={(value) => change(field.name, value)}
      promptRef={promptRef}
      onPromptKeyDown={submitOnShortcut}
    />
  );
  const prompt = values.prompt;

  return (
    <div className="grid items-start gap-6 lg:grid-cols-[minmax(0,28rem)_minmax(0,1fr)] lg:gap-10">
      <div className="min-w-0 space-y-5">
        {problem ? (
          <FormProblemNotice key={problem.key} problem={problem.value} fieldId={fieldId} fieldLabel={fieldLabel} returnTo={RETURN_TO} />
        ) : null}

        <form onSubmit={submit} noValidate className="space-y-5">
          {/* Disabling the fieldset locks every control while a prediction runs, keeping the values visible. */}
          <fieldset disabled={busy} className="min-w-0 space-y-5">
            <legend className="sr-only">Image settings</legend>
            <ModelPicker models={models} selected={model} onChange={pickModel} id={`${idPrefix}-model`} />
            {canGenerate ? (
              <>
                <MainFields fields={main} render={control} />
                {advanced.length > 0 ? (
                  <AdvancedSettings
                    count={advanced.length}
                    hasErrors={advanced.some((field) => errors[field.name])}
                    open={advancedOpen}
                    onOpenChange={setAdvancedOpen}
                  >
                    {advanced.map(control)}
                  </AdvancedSettings>
                ) : null}
              </>
            ) : null}
          </fieldset>

          <div className="flex flex-wrap items-center gap-x-4 gap-y-2">
            <Button type="submit" disabled={busy || uploading || !canGenerate} className="min-w-32">
              {busy || uploading ? <Spinner /> : null}
              {submitting ? "Starting…" : busy ? "Generating…" : uploading ? "Uploading…" : "Generate"}
            </Button>
            {canGenerate && main.some((field) => controlOf(field) === "prompt") ? (
              <p className="text-xs text-muted">
                or press{" "}
                <kbd className="rounded border bg-surface px-1 py-0.5 font-mono text-[0.7rem]">{isMac ? "⌘" : "Ctrl"}</kbd>{" "}
                <kbd className="rounded border bg-surface px-1 py-0.5 font-mono text-[0.7rem]">Enter</kbd> in the prompt
              </p>
            ) : null}
          </div>
        </form>
      </div>

      <div className="min-w-0">
        {created ? (
          <Suspense fallback={<ResultPlaceholder text="Sending your request…" />}>
            <PredictionRun
              key={created.id}
              created={created}
              pollIntervalMs={pollIntervalMs}
              saveImage={saveImage}
              onActiveChange={setRunActive}
              prompt={typeof prompt === "string" ? prompt : ""}
              placeholderRatio={requestedRatio(created.input)}
              onGenerateAnother={generateAnother}
            />
          </Suspense>
        ) : (
          <ResultPlaceholder text={submitting ? "Sending your request…" : "Your images will appear here."} />
        )}
      </div>
    </div>
  );
}

/** Where the results go, holding their place before there are any (and while their panel loads). */
function ResultPlaceholder({ text }: { text: string }) {
  return (
    <div className="flex aspect-square w-full items-center justify-center rounded-xl border border-dashed bg-surface p-6 text-center text-sm text-muted lg:aspect-[4/3]">
      {text}
    </div>
  );
}

/** The main fields in order, with a width and height next to each other drawn as one row. */
function MainFields({ fields, render }: { fields: InputField[]; render: (field: InputField) => ReactNode }) {
  const rows: InputField[][] = [];
  for (const field of fields) {
    const last = rows.at(-1);
    if (last?.length === 1 && controlOf(last[0]) === "size" && controlOf(field) === "size") last.push(field);
    else rows.push([field]);
  }
  return rows.map((row) =>
    row.length === 1 ? (
      render(row[0])
    ) : (
      <div key={row.map((field) => field.name).join("+")} className="grid gap-4 sm:grid-cols-2">
        {row.map(render)}
      </div>
    ),
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
