/**
 * The dashboard's only way to the server: same-origin JSON calls with the
 * admin token in the Authorization header. The token lives in sessionStorage
 * (this tab only, gone when it closes) and never in a URL.
 */
const TOKEN_KEY = 'joule.adminToken';

export class UnauthorizedError extends Error {}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  save: (token: string): void => sessionStorage.setItem(TOKEN_KEY, token),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

let onUnauthorized: () => void = () => undefined;
/** Called when the server refuses the token (revoked, or the server restarted with another one). */
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

export async function apiGet<T>(path: string, token = session.token()): Promise<T> {
  return call<T>(path, 'GET', token);
}

/** An action (cancelling an order): a POST without a body, with the admin token. */
export async function apiPost<T>(path: string, token = session.token()): Promise<T> {
  return call<T>(path, 'POST', token);
}

async function call<T>(path: string, method: 'GET' | 'POST', token: string | null): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    cache: 'no-store',
  });
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  if (res.status === 401) {
    onUnauthorized();
    throw new UnauthorizedError(body?.error?.message ?? 'unauthorized');
  }
  if (!res.ok) throw new ApiError(res.status, body?.error?.code ?? 'http_error', body?.error?.message ?? res.statusText);
  return body as T;
}

/** What `load` gives, or null when what it asks for does not exist (404, or an id the API refuses as malformed). */
export async function unlessMissing<T>(load: () => Promise<T>): Promise<T | null> {
  try {
    return await load();
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 400)) return null;
    throw err;
  }
}

/** Builds a query string from the set values only. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
