import type { ReactNode } from 'react';
import { CopyButton } from './copy-button';

/**
 * A freshly created secret (token, API key) that the server returns only once: the message, the secret with a copy
 * button, and "Done" to dismiss it. `children` goes below, e.g. how to use it.
 */
export function SecretOnce({ label, testId, secret, message, onDone, children }: { label: string; testId: string; secret: string; message: ReactNode; onDone: () => void; children?: ReactNode }) {
  return (
    <div className="token-once" role="status" aria-label={label}>
      <p>
        <strong>{message}</strong> Copy it now: it is shown only this once.
      </p>
      <div className="token-row">
        <code data-testid={testId}>{secret}</code>
        <CopyButton text={secret} />
        <button type="button" className="link-button" onClick={onDone}>
          Done
        </button>
      </div>
      {children}
    </div>
  );
}
