/** The one admin token of every benchmark; server scripts get it as ADMIN_TOKEN (see startServer). */
export const BENCH_ADMIN_TOKEN = 'bench-admin-token-000000';

/** A new integrator: an API key issued through the admin endpoint of the server at `url`, and the tenant it belongs to. */
export async function issueTenantKey(url: string, name: string): Promise<{ key: string; tenantId: string }> {
  const res = await fetch(`${url}/api/admin/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (res.status !== 201) throw new Error(`issuing a key: ${res.status} ${await res.text()}`);
  const { key, tenant_id: tenantId } = (await res.json()) as { key: string; tenant_id: string };
  return { key, tenantId };
}
