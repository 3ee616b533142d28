/**
 * Form input that survives a session expiry: forms register what they hold; when a 401 sends the user to the login
 * page, the auth provider saves every registered form into sessionStorage (this tab only), and the form takes its
 * draft back when it mounts again after the login. Drafts are saved only then, so an abandoned form does not come
 * back on an ordinary visit.
 */
const PREFIX = 'edgefleet:draft:';
const live = new Map<string, () => unknown>();

/** Registers a form's current input under `key`; returns the unregister function. */
export function registerDraft(key: string, snapshot: () => unknown): () => void {
  live.set(key, snapshot);
  return () => {
    if (live.get(key) === snapshot) live.delete(key);
  };
}

function storage(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    // Storage disabled by the browser: drafts are a convenience, go without.
    return null;
  }
}

/** Saves every registered form (called when the session ends under the user). */
export function saveDrafts(): number {
  const s = storage();
  if (!s) return 0;
  let saved = 0;
  for (const [key, snapshot] of live) {
    try {
      s.setItem(PREFIX + key, JSON.stringify(snapshot()));
      saved++;
    } catch {
      // Over quota or not serialisable: skip this one.
    }
  }
  return saved;
}

export function hasDraft(key: string): boolean {
  return storage()?.getItem(PREFIX + key) != null;
}

/** The saved draft of `key`, removed from storage: a draft is restored once. */
export function takeDraft<T>(key: string): T | undefined {
  const s = storage();
  const raw = s?.getItem(PREFIX + key);
  if (raw == null) return undefined;
  s!.removeItem(PREFIX + key);
  try {
    return JSON.parse(raw) as T;
  } catch {
    return undefined;
  }
}
