import { type FormEvent, useState } from 'react';
import type { FieldErrors, Validated } from '../lib/validation';

/**
 * The state of a form of text fields: its input, `set(field)` change handlers, and a `submit` handler that validates
 * the input, shows the field errors, or else clears them and passes the value to `onValid`.
 */
export function useValidatedForm<I extends object, V>(initial: I | (() => I), validate: (input: I) => Validated<V, Extract<keyof I, string>>, onValid: (value: V) => void) {
  const [input, setInput] = useState<I>(initial);
  const [errors, setErrors] = useState<FieldErrors<Extract<keyof I, string>>>({});
  const set = (k: keyof I) => (e: { target: { value: string } }) => setInput({ ...input, [k]: e.target.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const result = validate(input);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    onValid(result.value);
  };
  return { input, setInput, errors, set, submit };
}
