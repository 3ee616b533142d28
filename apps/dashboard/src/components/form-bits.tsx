import type { ReactNode } from 'react';
import { errorMessage } from '../api/client';

/** A labelled form control; under it the field's error, or else `hint`. */
export function Field({ label, error, hint, className, children }: { label: ReactNode; error?: string | undefined; hint?: ReactNode; className?: string; children: ReactNode }) {
  return (
    <label className={className}>
      {label}
      {children}
      {error ? <span className="field-error">{error}</span> : hint}
    </label>
  );
}

/** The parts of a react-query mutation a submit row reads. */
export interface MutationState {
  isPending: boolean;
  isError: boolean;
  error: unknown;
}

/**
 * The end of a form: the mutation's error, then a cancel button when `onCancel` is given, then the submit button
 * (`busyLabel` while the mutation runs).
 */
export function SubmitRow({
  mutation,
  label,
  busyLabel = 'Creating…',
  onCancel,
  cancelLabel = 'Cancel',
}: {
  mutation: MutationState;
  label: string;
  busyLabel?: string;
  onCancel?: () => void;
  cancelLabel?: string;
}) {
  return (
    <>
      {mutation.isError && (
        <div className="error-box wide" role="alert">
          {errorMessage(mutation.error)}
        </div>
      )}
      <div className="actions wide">
        {onCancel && (
          <button type="button" onClick={onCancel}>
            {cancelLabel}
          </button>
        )}
        <button type="submit" className="primary" disabled={mutation.isPending}>
          {mutation.isPending ? busyLabel : label}
        </button>
      </div>
    </>
  );
}
