import { useEffect, useRef, useState } from 'react';
import { registerDraft, takeDraft } from '../lib/drafts';

/**
 * Keeps `value` (a form's input) across a session expiry: registered while mounted, handed to `restore` on the
 * first mount after the login. Returns whether it restored something, for a short notice.
 */
export function useExpiryDraft<T>(key: string, value: T, restore: (draft: T) => void): boolean {
  const current = useRef(value);
  current.current = value;
  const restoreRef = useRef(restore);
  restoreRef.current = restore;
  const [restored, setRestored] = useState(false);
  useEffect(() => {
    const draft = takeDraft<T>(key);
    if (draft !== undefined) {
      restoreRef.current(draft);
      setRestored(true);
    }
    return registerDraft(key, () => current.current);
  }, [key]);
  return restored;
}

export function DraftRestored({ show }: { show: boolean }) {
  if (!show) return null;
  return (
    <p className="notice wide" role="status" data-testid="draft-restored">
      Restored what you had entered before your session expired.
    </p>
  );
}
