import type { ApiErrorBody } from '@edgefleet/contracts';
import { config } from '../config/index';

/** A failed API call: `code` is the API's stable `error` code (switch on it), `message` is for people. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
    readonly details?: unknown,
    /** From a 429's `Retry-After` header (or `details.retryAfterS`): seconds until trying again makes sense. */
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

function parseRetryAfter(header: string | null | undefined, details: unknown): number | undefined {
  if (header) {
    const s = Number(header);
    if (Number.isFinite(s) && s >= 0) return Math.ceil(s);
    const at = Date.parse(header);
    if (Number.isFinite(at)) return Math.max(0, Math.ceil((at - Date.now()) / 1000));
  }
  if (details && typeof details === 'object') {
    const d = details as Record<string, unknown>;
    if (typeof d.retryAfterS === 'number') return d.retryAfterS;
  }
  return undefined;
}

/** Codes the dashboard makes up for failures that never got an API body. */
export const ClientErrorCode = {
  Network: 'client/network',
  BadResponse: 'client/bad_response',
  Aborted: 'client/aborted',
} as const;

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.error === 'string' && typeof v.message === 'string';
}

/** Turns a non-2xx response into an ApiError, whether or not its body has the API's error shape. */
export function parseApiError(status: number, bodyText: string, statusText = '', retryAfterHeader?: string | null): ApiError {
  let body: unknown;
  try {
    body = bodyText ? JSON.parse(bodyText) : undefined;
  } catch {
    body = undefined;
  }
  if (isErrorBody(body)) {
    return new ApiError(status, body.error, body.message, body.requestId, body.details, parseRetryAfter(retryAfterHeader, body.details));
  }
  // A proxy or gateway answered instead of the API (502/504 from vite or a load balancer).
  const text = statusText || (bodyText && bodyText.length < 200 ? bodyText : '') || 'request failed';
  return new ApiError(status, `http/${status}`, `HTTP ${status}: ${text}`, undefined, undefined, parseRetryAfter(retryAfterHeader, undefined));
}

// The dashboard authenticates with the API's HTTP-only, SameSite=Strict session cookie: every request sends
// credentials, and the API checks the Origin of cookie-authenticated writes, so no CSRF token travels (see
// SessionDto in @edgefleet/contracts).

type UnauthorizedListener = (err: ApiError) => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/**
 * Called for every 401 from an API call other than the auth endpoints themselves (a wrong password is not an
 * expired session): the auth provider listens and sends the user to the login page.
 */
export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

type ForbiddenListener = (err: ApiError) => void;
const forbiddenListeners = new Set<ForbiddenListener>();

/**
 * Called for every 403 `auth/forbidden`: the role may have changed since the page loaded (an admin demoted this user),
 * so the auth provider asks `me` again and the buttons follow.
 */
export function onForbidden(listener: ForbiddenListener): () => void {
  forbiddenListeners.add(listener);
  return () => forbiddenListeners.delete(listener);
}

function isAuthEndpoint(path: string): boolean {
  return path.startsWith('/api/auth/');
}

function reportUnauthorized(path: string, err: ApiError): void {
  if (err.status === 403 && err.code === 'auth/forbidden') for (const l of forbiddenListeners) l(err);
  if (err.status !== 401 || isAuthEndpoint(path)) return;
  for (const l of unauthorizedListeners) l(err);
}

export function apiUrl(path: string): string {
  return `${config.apiBaseUrl}${path}`;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

/** fetch + JSON for `/api/...` paths; throws ApiError on network failure or any non-2xx answer. */
export async function apiFetch<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(apiUrl(withQuery(path, opts.query)), {
      method,
      headers,
      body,
      signal: opts.signal,
      // 'include' rather than the default 'same-origin': VITE_API_BASE_URL may point at another origin.
      credentials: 'include',
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, ClientErrorCode.Network, 'API unreachable: check your connection or whether the API is running');
  }
  const text = await res.text();
  if (!res.ok) {
    const err = parseApiError(res.status, text, res.statusText, res.headers.get('retry-after'));
    reportUnauthorized(path, err);
    throw err;
  }
  if (res.status === 204 || text === '') return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(res.status, ClientErrorCode.BadResponse, 'the API sent a response that is not JSON');
  }
}

export interface UploadProgress {
  loaded: number;
  total: number;
  /** 0..1, or null when the browser cannot tell the total. */
  fraction: number | null;
}

/**
 * POSTs multipart form data with XMLHttpRequest, because fetch cannot report upload progress.
 * Resolves with the parsed JSON body; rejects with ApiError like apiFetch.
 */
export function uploadWithProgress<T>(url: string, formData: FormData, onProgress: (p: UploadProgress) => void, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', apiUrl(url));
    xhr.withCredentials = true;
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e: ProgressEvent) => {
      onProgress({ loaded: e.loaded, total: e.total, fraction: e.lengthComputable && e.total > 0 ? e.loaded / e.total : null });
    };
    xhr.onload = () => {
      const text = xhr.responseText;
      if (xhr.status < 200 || xhr.status >= 300) {
        const err = parseApiError(xhr.status, text, xhr.statusText, xhr.getResponseHeader('retry-after'));
        reportUnauthorized(url, err);
        reject(err);
        return;
      }
      try {
        resolve((text ? JSON.parse(text) : undefined) as T);
      } catch {
        reject(new ApiError(xhr.status, ClientErrorCode.BadResponse, 'the API sent a response that is not JSON'));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, ClientErrorCode.Network, 'upload failed: the API could not be reached'));
    xhr.onabort = () => reject(new ApiError(0, ClientErrorCode.Aborted, 'upload cancelled'));
    if (signal) {
      if (signal.aborted) {
        xhr.abort();
        return;
      }
      signal.addEventListener('abort', () => xhr.abort(), { once: true });
    }
    xhr.send(formData);
  });
}

/** A readable message for anything a query or mutation threw. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
