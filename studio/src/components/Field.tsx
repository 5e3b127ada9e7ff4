// A labelled form field with its help and the API's message for it.
import { useId, type ReactNode } from "react";

export function Field({
  label,
  error,
  help,
  children,
  inline,
  warning,
}: {
  label: string;
  error?: string | undefined;
  /** A lint finding this field fixes. */
  warning?: string | undefined;
  help?: string | undefined;
  children: (id: string, describedBy: string | undefined) => ReactNode;
  inline?: boolean;
}) {
  const id = useId();
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const warningId = `${id}-warning`;
  const describedBy = [help && helpId, warning && warningId, error && errorId].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`field${inline ? " field-inline" : ""}${error ? " has-error" : ""}${warning ? " has-warning" : ""}`}>
      <label htmlFor={id}>{label}</label>
      {children(id, describedBy)}
      {help && (
        <div className="field-help" id={helpId}>
          {help}
        </div>
      )}
      {warning && (
        <div className="field-warning" id={warningId} data-testid="field-lint">
          ⚠ {warning}
        </div>
      )}
      {error && (
        <div className="field-error" id={errorId} role="alert" data-testid="field-error">
          {error}
        </div>
      )}
    </div>
  );
}

export function FormError({ message }: { message: string | null | undefined }) {
  if (!message) return null;
  return (
    <div className="form-error" role="alert" data-testid="form-error">
      {message}
    </div>
  );
}
