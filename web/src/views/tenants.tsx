import { apiGet } from '../api.js';
import { Card, Loaded } from '../components.js';
import { time } from '../format.js';
import { useI18n } from '../i18n.js';
import { usePoll } from '../poll.js';
import { href } from '../router.js';
import type { ApiKey, Tenant } from '../types.js';

/**
 * The businesses on top of Joule and their API keys (never the keys
 * themselves: a prefix, when each was made, last used, revoked). Each
 * tenant links to its orders and users.
 */
export function Tenants() {
  const { t } = useI18n();
  const data = usePoll(
    async () => {
      const [tenants, keys] = await Promise.all([
        apiGet<{ tenants: Tenant[] }>('/api/admin/tenants'),
        apiGet<{ api_keys: ApiKey[] }>('/api/admin/api-keys'),
      ]);
      return { tenants: tenants.tenants, keys: keys.api_keys };
    },
    'tenants',
    10_000,
  );
  return (
    <Loaded polled={data}>
      {(d) => (
        <div class="stack">
          <Card title={t('tenants.title')} wide>
            <table>
              <thead>
                <tr>
                  <th>{t('col.tenant')}</th>
                  <th>{t('col.name')}</th>
                  <th class="num">{t('col.liveKeys')}</th>
                  <th>{t('col.since')}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {d.tenants.map((tenant) => (
                  <tr data-tenant={tenant.id}>
                    <td>
                      <code>{tenant.id}</code>
                    </td>
                    <td>{tenant.name}</td>
                    <td class="num">{tenant.live_keys}</td>
                    <td>{time(tenant.created_at)}</td>
                    <td>
                      <a href={href('orders', { tenant_id: tenant.id })}>{t('tenants.orders')}</a> · <a href={href('users', { tenant_id: tenant.id })}>{t('tenants.users')}</a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
          <Card title={t('tenants.keys')} wide>
            {d.keys.length === 0 ? (
              <p class="muted">{t('tenants.noKeys')}</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th>{t('col.name')}</th>
                    <th>{t('col.tenant')}</th>
                    <th>{t('col.keyPrefix')}</th>
                    <th>{t('col.since')}</th>
                    <th>{t('col.lastUsed')}</th>
                    <th>{t('col.keyState')}</th>
                  </tr>
                </thead>
                <tbody>
                  {d.keys.map((k) => (
                    <tr data-key={k.id}>
                      <td>{k.name}</td>
                      <td>
                        <code>{k.tenant_id}</code>
                      </td>
                      <td>
                        <code>{k.key_prefix}…</code>
                      </td>
                      <td>{time(k.created_at)}</td>
                      <td>{k.last_used_at ? time(k.last_used_at) : t('tenants.never')}</td>
                      <td>{k.revoked_at ? t('tenants.revoked', { at: time(k.revoked_at) }) : k.rotated_at ? t('tenants.rotated', { at: time(k.rotated_at) }) : t('tenants.live')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
        </div>
      )}
    </Loaded>
  );
}
