import { useState } from 'react';
import type { UploadProgress } from '../api/client';
import type { FieldErrors, Validated } from '../lib/validation';

type Mutate<V, R> = (vars: V & { onProgress: (p: UploadProgress) => void }, options: { onSuccess: (result: R) => void; onSettled: () => void }) => void;

/**
 * What every upload form does on submit: validate, show field errors or start the upload, and track
 * its progress until it settles.
 */
export function useUploadForm<I, V extends { file: File }, K extends string, R>(validate: (input: I) => Validated<V, K>, mutate: Mutate<V, R>) {
  const [errors, setErrors] = useState<FieldErrors<K>>({});
  const [progress, setProgress] = useState<UploadProgress | null>(null);

  const submit = (input: I, onSuccess: (result: R) => void) => {
    const result = validate(input);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    setProgress({ loaded: 0, total: result.value.file.size, fraction: 0 });
    mutate({ ...result.value, onProgress: setProgress }, { onSuccess, onSettled: () => setProgress(null) });
  };
  return { errors, progress, submit };
}
