import { type FormEvent, useEffect, useRef, useState } from 'react';
import { errorMessage } from '../api/client';
import type { MutationState } from './form-bits';

export interface ConfirmDialogProps {
  title: string;
  message: string;
  confirmLabel: string;
  /** Ask for a reason (recorded with the action); required when `reasonRequired`. */
  askReason?: boolean;
  reasonRequired?: boolean;
  danger?: boolean;
  busy?: boolean;
  error?: string | null;
  onConfirm: (reason: string) => void;
  onCancel: () => void;
}

/** A modal confirmation on the native <dialog> (focus trap and Escape for free), optionally asking why. */
export function ConfirmDialog({ title, message, confirmLabel, askReason, reasonRequired, danger, busy, error, onConfirm, onCancel }: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState(false);

  useEffect(() => {
    const dialog = ref.current;
    // jsdom lacks showModal; the dialog is still rendered open there.
    if (dialog && !dialog.open && typeof dialog.showModal === 'function') dialog.showModal();
    return () => dialog?.close?.();
  }, []);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (askReason && reasonRequired && !reason.trim()) {
      setMissing(true);
      return;
    }
    onConfirm(reason.trim());
  };

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="confirm-title"
      open={typeof HTMLDialogElement === 'undefined' || typeof HTMLDialogElement.prototype.showModal !== 'function' ? true : undefined}
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
    >
      <form onSubmit={submit} className="form dialog-form" noValidate>
        <h3 id="confirm-title" className="wide">
          {title}
        </h3>
        <p className="wide">{message}</p>
        {askReason && (
          <label className="wide">
            Reason{reasonRequired ? '' : ' (optional)'}
            <textarea rows={2} value={reason} onChange={(e) => setReason(e.target.value)} aria-invalid={missing} autoFocus maxLength={1000} />
            {missing && <span className="field-error">say why: it is recorded in the history</span>}
          </label>
        )}
        {error && (
          <div className="error-box wide" role="alert">
            {error}
          </div>
        )}
        <div className="actions wide">
          <button type="button" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className={danger ? 'danger' : 'primary'} disabled={busy}>
            {busy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}

/**
 * A ConfirmDialog for one mutation: busy while it runs, showing its error; cancelling resets the mutation and
 * calls `onClose`.
 */
export function ConfirmMutation({ mutation, onClose, ...props }: Omit<ConfirmDialogProps, 'busy' | 'error' | 'onCancel'> & { mutation: MutationState & { reset: () => void }; onClose: () => void }) {
  return (
    <ConfirmDialog
      {...props}
      busy={mutation.isPending}
      error={mutation.isError ? errorMessage(mutation.error) : null}
      onCancel={() => {
        mutation.reset();
        onClose();
      }}
    />
  );
}
