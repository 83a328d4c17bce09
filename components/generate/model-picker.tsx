"use client";

import { ModelNotice } from "@/components/generate/model-notice";
import { Field } from "@/components/ui/field";
import { Notice } from "@/components/ui/notice";
import type { ModelOption } from "@/lib/models/input-fields";

export type ModelPickerProps = {
  id: string;
  models: readonly ModelOption[];
  selected: ModelOption | null;
  onChange: (key: string) => void;
};

/**
 * Which model draws the images. With one model it is named (or, for the local
 * preview, explained); with several, a native select, where a model that cannot
 * be used stays listed, disabled, with the reason written under it.
 */
export function ModelPicker({ id, models, selected, onChange }: ModelPickerProps) {
  const unavailable = models.filter((model) => !model.available);

  if (unavailable.length === models.length) {
    return (
      <Notice tone="error" title={models.length === 1 ? "This model cannot be used" : "No model can be used right now"} role="note" aria-label="No model available">
        {models.length === 0 ? (
          <p>No image model is configured.</p>
        ) : (
          <ul className="list-none space-y-1">
            {unavailable.map((model) => (
              <li key={model.key}>
                <span className="font-medium">{model.displayName}:</span> {model.unavailableReason ?? "It is not available."}
              </li>
            ))}
          </ul>
        )}
      </Notice>
    );
  }

  const notice = selected ? <ModelNotice modelName={selected.displayName} isLocalPreview={selected.isLocalPreview} /> : null;
  if (models.length === 1) return notice;

  return (
    <div className="space-y-3">
      <Field
        id={id}
        label="Model"
        hint={
          unavailable.length > 0 ? (
            <span className="block space-y-0.5">
              {unavailable.map((model) => (
                <span key={model.key} className="block">
                  {model.displayName} is unavailable: {model.unavailableReason ?? "it cannot be used right now."}
                </span>
              ))}
            </span>
          ) : null
        }
      >
        {(control) => (
          <select {...control} name="model" value={selected?.key ?? ""} onChange={(event) => onChange(event.target.value)}>
            {models.map((model) => (
              <option key={model.key} value={model.key} disabled={!model.available}>
                {model.available ? model.displayName : `${model.displayName} (unavailable)`}
              </option>
            ))}
          </select>
        )}
      </Field>
      {selected?.isLocalPreview ? notice : null}
    </div>
  );
}
