// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { hasDraft, registerDraft, saveDrafts, takeDraft } from './drafts';

describe('drafts', () => {
  afterEach(() => sessionStorage.clear());

  it('saves registered forms only when asked, and gives each back once', () => {
    let value = { name: 'a' };
    const off = registerDraft('new-model', () => value);
    value = { name: 'half typed' };
    expect(hasDraft('new-model')).toBe(false);
    expect(saveDrafts()).toBe(1);
    off();
    expect(hasDraft('new-model')).toBe(true);
    expect(takeDraft('new-model')).toEqual({ name: 'half typed' });
    expect(takeDraft('new-model')).toBeUndefined();
  });

  it('forgets unregistered forms, and a later registration under the same key wins', () => {
    const off1 = registerDraft('k', () => 1);
    const off2 = registerDraft('k', () => 2);
    off1(); // the older one unmounting must not remove the newer
    expect(saveDrafts()).toBe(1);
    expect(takeDraft('k')).toBe(2);
    off2();
    expect(saveDrafts()).toBe(0);
  });
});
