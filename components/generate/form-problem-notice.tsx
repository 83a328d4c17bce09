"use client";

import { isModelUnavailable, type RequestFailure } from "@/components/generate/api-client";
import type { FormErrors } from "@/components/generate/form-state";
import { AppLink } from "@/components/ui/app-link";
import { Notice } from "@/components/ui/notice";
import { useFocusOnMount } from "@/components/ui/use-focus-on-mount";

/** Why the last submit did not start a prediction. */
export type FormProblem =
  | { kind: "fields"; errors: FormErrors; other: string[] }
  | { kind: "request"; failure: RequestFailure };

export type FormProblemNoticeProps = {
  problem: FormProblem;
  /** Element id of each field's control, so the summary can link to it. */
  fieldId: (name: string) => string;
  /** What each field is called on screen (its schema title). */
  fieldLabel: (name: string) => string;
  /** Where sign-in should send the person back to. */
  returnTo: string;
};

/**
 * The error summary above the form. It takes focus when it appears (remount it with a
 * new key for each submit), and for invalid fields it links to each one, so keyboard
 * and screen-reader users land on the problem instead of hunting for it.
 */
export function FormProblemNotice({ problem, fieldId, fieldLabel, returnTo }: FormProblemNoticeProps) {
  const ref = useFocusOnMount<HTMLDivElement>();

  if (problem.kind === "fields") {
    const fields = Object.keys(problem.errors);
    const count = fields.length + problem.other.length;
    return (
      <Notice ref={ref} tabIndex={-1} role="alert" tone="error" title={count === 1 ? "Check this field" : "Check these fields"}>
        <ul className="list-none space-y-0.5">
          {fields.map((field) => (
            <li key={field}>
              <a
                href={`#${fieldId(field)}`}
                className="underline underline-offset-2 hover:text-danger"
                onClick={(event) => {
                  // Fragment links scroll but do not reliably focus form controls.
                  event.preventDefault();
                  document.getElementById(fieldId(field))?.focus();
                }}
              >
                {fieldLabel(field)}: {problem.errors[field]}
              </a>
            </li>
          ))}
          {problem.other.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      </Notice>
    );
  }

  const { failure } = problem;
  if (failure.status === 401) {
    return (
      <Notice ref={ref} tabIndex={-1} role="alert" tone="error" title="Your session has expired. Sign in again.">
        <AppLink
          href={`/login?next=${encodeURIComponent(returnTo)}`}
          className="font-medium text-accent underline underline-offset-2"
        >
          Sign in
        </AppLink>
      </Notice>
    );
  }

  if (isModelUnavailable(failure)) {
    return (
      <Notice ref={ref} tabIndex={-1} role="alert" tone="error" title="This model is not available right now">
        {failure.message} Choose another model, or try again later.
      </Notice>
    );
  }

  const wait = failure.status === 429 && failure.retryAfter !== undefined ? ` Try again in ${plural(failure.retryAfter, "second")}.` : "";
  return (
    <Notice ref={ref} tabIndex={-1} role="alert" tone="error" title="Could not start the generation">
      {failure.message}
      {wait}
    </Notice>
  );
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? "" : "s"}`;
}
