import { useEffect, useMemo, useState } from 'preact/hooks';

/**
 * Hash routes (#/orders, #/orders/<id>, #/flash, #/pools, #/users/<id>): the server
 * serves one page, and a link can be shared or reloaded without a round trip.
 * Filters travel in the hash's query (#/orders?status=active).
 */
export interface Route {
  path: string[];
  params: URLSearchParams;
}

function parse(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [path = '', search = ''] = raw.split('?');
  return { path: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(search) };
}

export function useRoute(): Route {
  const [hash, setHash] = useState(() => location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    // Effects run after the first paint: a hash changed before then fired its event to nobody.
    on();
    return () => removeEventListener('hashchange', on);
  }, []);
  return useMemo(() => parse(hash), [hash]);
}

export function href(path: string, params?: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) if (v) q.set(k, v);
  const s = q.toString();
  return `#/${path}${s ? `?${s}` : ''}`;
}

export function navigate(path: string, params?: Record<string, string | undefined>): void {
  location.hash = href(path, params);
}
