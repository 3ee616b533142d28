import type {
  ApiKeyDto,
  AuditEntryDto,
  CreateApiKeyRequest,
  CreatedApiKeyDto,
  CreateUserRequest,
  LoginRequest,
  Page,
  SessionDto,
  UpdateUserRequest,
  UserDto,
} from '@edgefleet/contracts';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, apiFetch, type Query } from './client';

/** Where the accounts endpoints live, in one place. */
export const authPaths = {
  login: '/api/auth/login',
  logout: '/api/auth/logout',
  me: '/api/auth/me',
  users: '/api/users',
  user: (id: string) => `/api/users/${encodeURIComponent(id)}`,
  apiKeys: '/api/api-keys',
  revokeApiKey: (id: string) => `/api/api-keys/${encodeURIComponent(id)}/revoke`,
  audit: '/api/audit',
};

export const authKeys = {
  me: ['auth', 'me'] as const,
  users: (params: object) => ['users', params] as const,
  allUsers: ['users'] as const,
  apiKeys: (params: object) => ['api-keys', params] as const,
  allApiKeys: ['api-keys'] as const,
  audit: (params: object) => ['audit', params] as const,
};

/**
 * What `GET /api/auth/me` says about the caller:
 * - a session: logged in;
 * - `null`: not logged in (401);
 * - `'open'`: this API has no accounts (404 on the endpoint: an API from before accounts), so everything is allowed.
 */
export type Me = SessionDto | null | 'open';

export async function fetchMe(signal?: AbortSignal): Promise<Me> {
  try {
    return await apiFetch<SessionDto>(authPaths.me, { signal });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    if (err instanceof ApiError && err.status === 404 && err.code !== 'user/not_found') return 'open';
    throw err;
  }
}

export function login(body: LoginRequest): Promise<SessionDto> {
  return apiFetch<SessionDto>(authPaths.login, { method: 'POST', body });
}

export function logout(): Promise<void> {
  return apiFetch<void>(authPaths.logout, { method: 'POST' });
}

// ── users ──────────────────────────────────────────────────────────────────

export function useUsers(params: { limit: number; offset: number }) {
  return useQuery({
    queryKey: authKeys.users(params),
    queryFn: ({ signal }) => apiFetch<Page<UserDto>>(authPaths.users, { query: params, signal }),
    placeholderData: keepPreviousData,
  });
}

export function useCreateUser() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateUserRequest) => apiFetch<UserDto>(authPaths.users, { method: 'POST', body }),
    onSuccess: () => qc.invalidateQueries({ queryKey: authKeys.allUsers }),
  });
}

export function useUpdateUser() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: UpdateUserRequest }) => apiFetch<UserDto>(authPaths.user(id), { method: 'PATCH', body }),
    onSuccess: () => qc.invalidateQueries({ queryKey: authKeys.allUsers }),
  });
}

// ── API keys ───────────────────────────────────────────────────────────────

export function useApiKeys(params: { limit: number; offset: number }) {
  return useQuery({
    queryKey: authKeys.apiKeys(params),
    queryFn: ({ signal }) => apiFetch<Page<ApiKeyDto>>(authPaths.apiKeys, { query: params, signal }),
    placeholderData: keepPreviousData,
  });
}

export function useCreateApiKey() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateApiKeyRequest) => apiFetch<CreatedApiKeyDto>(authPaths.apiKeys, { method: 'POST', body }),
    onSuccess: () => qc.invalidateQueries({ queryKey: authKeys.allApiKeys }),
  });
}

export function useRevokeApiKey() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => apiFetch<ApiKeyDto>(authPaths.revokeApiKey(id), { method: 'POST' }),
    onSuccess: () => qc.invalidateQueries({ queryKey: authKeys.allApiKeys }),
  });
}

// ── audit ──────────────────────────────────────────────────────────────────

export function useAudit(params: Query) {
  return useQuery({
    queryKey: authKeys.audit(params),
    queryFn: ({ signal }) => apiFetch<Page<AuditEntryDto>>(authPaths.audit, { query: params, signal }),
    placeholderData: keepPreviousData,
  });
}
