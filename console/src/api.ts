// The only way the console talks to the backend: the documented /v1 API with the session's
// bearer token. Lists are polled with If-None-Match: an unchanged list answers 304 and no body.

import { session } from './auth';

export class ApiError extends Error {
  constructor(
    public status: number,
    public detail: string,
  ) {
    super(detail);
  }
}

const etags = new Map<string, { etag: string; body: unknown }>();

/** Called when the server no longer accepts the token. */
let onUnauthorized: () => void = () => {};
export function whenUnauthorized(f: () => void): void {
  onUnauthorized = f;
}

export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T; changed: boolean }> {
  const h: Record<string, string> = { accept: 'application/json', ...headers };
  const token = session()?.token;
  if (token) h.authorization = `Bearer ${token}`;
  if (body !== undefined) h['content-type'] = 'application/json';
  const cached = method === 'GET' ? etags.get(path) : undefined;
  if (cached) h['if-none-match'] = cached.etag;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'The server cannot be reached. Check your connection; the console retries by itself.');
  }
  if (response.status === 304 && cached) return { status: 200, body: cached.body as T, changed: false };
  if (response.status === 401) {
    onUnauthorized();
    throw new ApiError(401, 'Your session has ended. Sign in again.');
  }
  const text = await response.text();
  let parsed: unknown = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!response.ok) {
    const p = parsed as { detail?: string; title?: string } | null;
    throw new ApiError(response.status, p?.detail ?? p?.title ?? `HTTP ${response.status}`);
  }
  const etag = response.headers.get('etag');
  if (method === 'GET' && etag) etags.set(path, { etag, body: parsed });
  return { status: response.status, body: parsed as T, changed: true };
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body?: unknown, headers?: Record<string, string>) =>
  api<T>('POST', path, body ?? {}, headers);
export const put = <T>(path: string, body: unknown) => api<T>('PUT', path, body);

export function forgetCache(): void {
  etags.clear();
}
