import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { REFUSAL_PREFIXES, type FailureCode, type RefusalPrefix, type TransitionReason, type WAIT_REASONS } from '../../src/domain/order-reasons.js';

/**
 * Why a flash-rent payment is given back, besides its order's failure code:
 * FLASH_REFUND_REASONS in src/domain/flash-rent.ts, which imports Node's
 * crypto and so cannot be imported here (test/web/reason-labels.test.ts holds
 * the two lists together).
 */
export type FlashRefundReason = 'flash_amount_not_listed' | 'flash_memo_not_an_address';

/** A reason as the server writes it: why an order waits, failed or moved, the prefix of a node's refusal, or why a flash payment is refunded. */
export type ReasonCode = FailureCode | (typeof WAIT_REASONS)[number] | TransitionReason | RefusalPrefix | FlashRefundReason;

/**
 * A label for every reason declared in src/domain/order-reasons.ts, no more
 * and no fewer: a reason added there fails the type check here until it has
 * a label in both languages.
 */
const enReasons: Record<ReasonCode, string> = {
  // Transition reasons.
  created: 'order placed',
  pool_selected: 'pool selected',
  pool_short: 'pool short of stake or fees, choosing again',
  delegation_confirmed: 'delegation confirmed',
  rental_expired: 'rental expired',
  reclaim_confirmed: 'reclaim confirmed',
  already_reclaimed: 'already reclaimed on chain',
  cancel_requested: 'cancelled early, reclaiming',
  cancelled: 'cancelled and refunded',
  // Failure codes; delegation_refused is also the prefix of a refused first broadcast.
  receiver_not_activated: 'receive address not activated',
  receiver_is_contract: 'receive address is a contract',
  no_pool_capacity: 'no pool capacity in time',
  delegation_refused: 'delegation refused by the node',
  pool_removed: 'pool no longer configured',
  // Wait reasons.
  waiting_for_pool_capacity: 'waiting for pool capacity',
  awaiting_confirmation: 'awaiting confirmation',
  awaiting_reclaim_confirmation: 'awaiting reclaim confirmation',
  lock_not_expired: 'waiting for the delegation lock to end',
  delegation_not_seen: 'delegation not seen on chain: looking again before completing',
  reclaim_pool_key_missing: 'pool key missing for reclaim',
  pool_cannot_pay_fee: 'pool has no bandwidth or TRX left for the fee',
  chain_unavailable: 'node unavailable, retrying',
  txid_clash: 'same transaction as another order, building it again',
  internal_error: 'internal error, retrying',
  reclaim_retrying: 'reclaim keeps failing, retrying',
  awaiting_refund_confirmation: 'refund sent, awaiting confirmation',
  flash_key_missing: 'flash-rent address key missing for the refund',
  // Refusal prefixes (besides delegation_refused).
  reclaim_refused: 'reclaim refused by the node',
  refund_refused: 'refund refused by the node',
  // Why a flash-rent payment is refunded.
  flash_amount_not_listed: 'amount not in the flash-rent table',
  flash_memo_not_an_address: 'memo is not a TRON address',
};

const zhReasons: Record<ReasonCode, string> = {
  created: '下单',
  pool_selected: '已选定能量池',
  pool_short: '能量池质押或手续费不足，重新选择',
  delegation_confirmed: '代理已确认',
  rental_expired: '租期已到',
  reclaim_confirmed: '回收已确认',
  already_reclaimed: '链上已被回收',
  cancel_requested: '提前取消，正在回收',
  cancelled: '已取消并退款',
  receiver_not_activated: '接收地址未激活',
  receiver_is_contract: '接收地址是合约',
  no_pool_capacity: '能量池容量不足（已超时）',
  delegation_refused: '节点拒绝了代理交易',
  pool_removed: '能量池已不在配置中',
  waiting_for_pool_capacity: '等待能量池容量',
  awaiting_confirmation: '等待确认',
  awaiting_reclaim_confirmation: '等待回收确认',
  lock_not_expired: '等待代理锁定期结束',
  delegation_not_seen: '链上未见代理：完成前再次核实',
  reclaim_pool_key_missing: '缺少回收所需的能量池密钥',
  pool_cannot_pay_fee: '能量池的带宽和 TRX 都不足以支付手续费',
  chain_unavailable: '节点不可用，重试中',
  txid_clash: '与另一订单的交易相同，正在重新构建',
  internal_error: '内部错误，重试中',
  reclaim_retrying: '回收多次失败，重试中',
  awaiting_refund_confirmation: '退款已发送，等待确认',
  flash_key_missing: '缺少闪租地址的退款密钥',
  reclaim_refused: '节点拒绝了回收交易',
  refund_refused: '节点拒绝了退款交易',
  flash_amount_not_listed: '金额不在闪租价目表中',
  flash_memo_not_an_address: '备注不是 TRON 地址',
};

/** The reason labels as dictionary entries, `reason.<code>`. */
const reasonKeys = (labels: Record<ReasonCode, string>) =>
  Object.fromEntries(Object.entries(labels).map(([code, label]) => [`reason.${code}`, label])) as { [C in ReasonCode as `reason.${C}`]: string };

/**
 * Every label the dashboard shows, in English and Simplified Chinese. The
 * Chinese table is typed against the English one, so a label missing in
 * either language fails the type check rather than showing a raw key.
 */
const en = {
  'app.title': 'Joule operator dashboard',
  'app.live': 'Live',
  'app.updated': 'updated {age}',
  'app.paused': 'Paused while the tab is hidden',
  'app.stale': 'Connection lost, retrying',
  'app.logout': 'Log out',
  'app.language': 'Language',

  'login.title': 'Sign in',
  'login.intro': 'Enter the admin token of this Joule instance (ADMIN_TOKEN, or the admin-token file in its data directory). It is kept only for this browser tab.',
  'login.token': 'Admin token',
  'login.submit': 'Sign in',
  'login.checking': 'Checking…',
  'login.invalid': 'That token was refused.',
  'login.failed': 'Could not reach Joule: {message}',

  'nav.overview': 'Overview',
  'nav.orders': 'Orders',
  'nav.pools': 'Pools',
  'nav.flash': 'Flash rent',
  'nav.users': 'Users',
  'nav.tenants': 'Tenants',
  'tenants.title': 'Tenants',
  'tenants.keys': 'API keys',
  'tenants.noKeys': 'No API keys in the database yet: the admin issues them with POST /api/admin/api-keys.',
  'tenants.orders': 'orders',
  'tenants.users': 'users',
  'tenants.never': 'never',
  'tenants.live': 'live',
  'tenants.revoked': 'revoked {at}',
  'tenants.rotated': 'live, rotated {at}',
  'col.tenant': 'Tenant',
  'col.name': 'Name',
  'col.liveKeys': 'Live keys',
  'col.keyPrefix': 'Key',
  'col.lastUsed': 'Last used',
  'col.keyState': 'State',
  'orders.filter.tenant': 'Tenant',
  'orders.filter.anyTenant': 'every tenant',
  'nav.docs': 'API reference',

  'status.pending': 'Pending',
  'status.delegating': 'Delegating',
  'status.active': 'Active',
  'status.reclaiming': 'Reclaiming',
  'status.completed': 'Completed',
  'status.failed': 'Failed',
  'status.cancelled': 'Cancelled',

  'overview.orders': 'Orders by status',
  'overview.oldestPending': 'Oldest pending order',
  'overview.none': 'none',
  'overview.dispatch': 'Dispatch',
  'overview.mode': 'Mode',
  'overview.mode.in-process': 'in-process (embedded)',
  'overview.mode.queue': 'Redis queue (background tasks)',
  'overview.mode.sweeper': 'scheduled sweep only',
  'overview.redis': 'Redis',
  'overview.redis.up': 'up',
  'overview.redis.down': 'down',
  'overview.redis.off': 'not used (ENABLE_BACKGROUND_TASKS=false)',
  'redisState.ready': 'connected',
  'redisState.connecting': 'connecting',
  'redisState.reconnecting': 'reconnecting',
  'redisState.wait': 'not connected yet',
  'redisState.close': 'connection closed',
  'redisState.end': 'gave up',
  'overview.breaker': 'Circuit breaker',
  'overview.breaker.closed': 'closed',
  'overview.breaker.open': 'open: new orders skip Redis for a moment',
  'overview.breaker.half-open': 'half-open: probing Redis',
  'overview.queueDepth': 'Queue depth',
  'overview.queueDepthValue': '{waiting} waiting · {active} running · {delayed} delayed',
  'overview.paths': 'Paths taken since start',
  'overview.path.in-process': 'in-process',
  'overview.path.queue': 'Redis queue',
  'overview.path.sweeper': 'sweeper',
  'overview.recent': 'Recent orders and their path',
  'overview.noRecent': 'No orders dispatched by this process yet.',
  'overview.chainErrors': 'Chain errors',
  'overview.process': 'Process',
  'overview.processValue': 'up {uptime} · {rss} MiB',
  'overview.delays': 'Processing delay, last hour',
  'overview.delayAxis': 'Delay, created → active',
  'overview.delayLegend.avg': 'average created → active',
  'overview.delayLegend.max': 'slowest',
  'overview.delayLegend.count': 'orders activated per minute',
  'overview.delayEmpty': 'No order went active in the last hour.',
  'overview.delaySummary': '{activated} activated · {created} created · {failed} failed in the last hour',

  'orders.filter.status': 'Status',
  'orders.filter.anyStatus': 'Any status',
  'orders.filter.user': 'User ID',
  'orders.filter.address': 'Receive address',
  'orders.filter.apply': 'Filter',
  'orders.filter.clear': 'Clear',
  'orders.empty': 'No orders match.',
  'pager.next': 'Next',
  'pager.previous': 'Previous',
  'pager.first': 'First page',
  'pager.page': 'Page {n}',

  'col.id': 'Order',
  'col.user': 'User',
  'col.energy': 'Energy',
  'col.duration': 'Duration',
  'col.status': 'Status',
  'col.price': 'Price (TRX)',
  'col.receiver': 'Receive address',
  'col.pool': 'Pool',
  'col.created': 'Created',
  'col.note': 'Note',
  'col.address': 'Address',
  'col.staked': 'Staked (TRX)',
  'col.delegated': 'Delegated (TRX)',
  'col.reserved': 'Reserved (TRX)',
  'col.delegatable': 'Delegatable (TRX)',
  'col.available': 'Available (TRX)',
  'col.availableEnergy': 'Available energy',
  'col.energyPerTrx': 'Energy per TRX',
  'col.poolTrx': 'TRX for fees',
  'col.bandwidth': 'Bandwidth',
  'col.observed': 'Observed',
  'col.balance': 'Balance (TRX)',
  'col.balanceUsdt': 'Balance (USDT)',
  'col.since': 'Since',
  'col.kind': 'Kind',
  'col.amount': 'Amount',
  'col.balanceAfter': 'Balance after',
  'col.reference': 'Reference',
  'col.time': 'Time',
  'col.path': 'Path',

  'order.title': 'Order {id}',
  'order.back': 'All orders',
  'order.summary': 'Summary',
  'order.timeline': 'Timeline',
  'order.transactions': 'Chain transactions',
  'order.noTransactions': 'Nothing signed yet.',
  'order.expires': 'Expires',
  'order.delegatedSun': 'Delegated stake (TRX)',
  'order.error': 'Failure',
  'order.refunded': 'Refunded',
  'order.waiting': 'Waiting',
  'order.lockBlocks': 'Lock',
  'order.lockBlocksValue': '{blocks} blocks',
  'order.unlocked': 'none',
  'order.event': '{from} → {to}',
  'order.eventCreated': 'created as {to}',
  'order.by': 'by {actor}',
  'order.notFound': 'No such order.',
  'order.payment': 'Paid by transfer',
  'order.refund': 'Refund',
  'order.refundOnChain': '{trx} TRX goes back on chain to the payer (the refund fee kept)',
  'order.refundSent': 'refund transaction {status}',
  'order.refundNotSent': 'refund transaction not signed yet',
  'order.cancel': 'Cancel order',
  'order.cancelConfirmPending': 'Cancel order {id}? It has not been delegated yet: it is cancelled now and its price refunded.',
  'order.cancelConfirmActive': 'Cancel order {id} early? Its energy is reclaimed now and the unused time refunded (CANCEL_REFUND_POLICY).',
  'order.cancelFailed': 'Not cancelled: {message}',
  'order.cancelRequested': 'Cancel requested',
  'order.cancelled': 'Cancelled at',

  'tx.delegate': 'Delegate',
  'tx.reclaim': 'Reclaim',
  'tx.refund': 'Refund',
  'tx.status.signed': 'signed (outcome unknown)',
  'tx.status.broadcast': 'broadcast (awaiting confirmation)',
  'tx.status.confirmed': 'confirmed',
  'tx.status.failed': 'failed',
  'tx.status.expired': 'expired, never landed',
  'tx.block': 'block {n}',
  'tx.broadcasts': 'sent {n}×',

  'pools.title': 'Pool accounts',
  'pools.intro': 'Refreshed from the chain by the worker in the background; reserved is what in-flight orders already hold.',
  'pools.total': 'Available now: {trx} TRX ≈ {energy} energy',
  'pools.empty': 'No pool snapshot yet: the worker writes one shortly after it starts.',
  'pools.error': 'Last refresh failed: {message}',
  'pools.bandwidth': '{free} + {staked} B',
  'pools.bandwidthHint': 'Free + staked bandwidth left, in bytes. Each delegation or reclaim needs ~280 bytes, else burns TRX; a pool with neither is refused by the node. Give it TRX or stake TRX for bandwidth.',
  'pools.runningDry': 'Running dry: ~{n} transactions left',
  'pools.retired': 'Retired: no worker has read this pool since {age}; it is probably no longer configured. Left out of the total.',

  'flash.mark': 'flash rent',
  'flash.markHint': 'Paid by a TRX transfer to the flash-rent address; a failed order is refunded on chain',
  'flash.title': 'Flash rent',
  'flash.off': 'Flash rent is off: this Joule takes no payments by transfer. Set FLASH_RENT_ADDRESS (one of the pools) and FLASH_RENT_TABLE to take them.',
  'flash.on': 'On: a TRX transfer of exactly one of these amounts places that order; any other amount is refunded on chain.',
  'flash.address': 'Pay to',
  'flash.refundFee': 'Refund fee',
  'flash.refundFeeValue': '{trx} TRX kept from every refund',
  'flash.offers': 'Offers',
  'flash.send': 'Send (TRX)',
  'flash.payments': 'Latest payments',
  'flash.noPayments': 'No payment seen yet.',
  'flash.status.ordered': 'ordered',
  'flash.status.refunding': 'refunding',
  'flash.status.refunded': 'refunded',
  'flash.status.kept': 'kept (too small to refund)',
  'flash.col.transfer': 'Transfer',
  'flash.col.paid': 'Paid (TRX)',
  'flash.col.sender': 'Sender',
  'flash.col.memo': 'Memo',
  'flash.col.refund': 'Refund (TRX)',
  'flash.col.refundTx': 'Refund transaction',
  'flash.col.reason': 'Reason',

  'users.title': 'Users',
  'users.empty': 'No users yet: a deposit creates one.',
  'user.title': 'User {id}',
  'user.back': 'All users',
  'user.ledger': 'Ledger',
  'user.orders': 'Orders of this user',
  'user.notFound': 'No such user.',
  'ledger.deposit': 'deposit',
  'ledger.order_debit': 'order debit',
  'ledger.refund': 'refund',

  ...reasonKeys(enReasons),
  'refusal.withCode': '{reason} ({code})',

  'common.loading': 'Loading…',
  'common.error': 'Error: {message}',
  'time.justNow': 'just now',
  'time.secondsAgo': '{n}s ago',
  'time.minutesAgo': '{n} min ago',
  'time.hoursAgo': '{n} h ago',
} as const;

export type LabelKey = keyof typeof en;

const zh: Record<LabelKey, string> = {
  'app.title': 'Joule 运营控制台',
  'app.live': '实时',
  'app.updated': '{age}更新',
  'app.paused': '标签页隐藏时暂停刷新',
  'app.stale': '连接中断，正在重试',
  'app.logout': '退出登录',
  'app.language': '语言',

  'login.title': '登录',
  'login.intro': '请输入此 Joule 实例的管理令牌（ADMIN_TOKEN，或数据目录中的 admin-token 文件）。令牌仅保存在当前浏览器标签页中。',
  'login.token': '管理令牌',
  'login.submit': '登录',
  'login.checking': '正在验证…',
  'login.invalid': '令牌被拒绝。',
  'login.failed': '无法连接 Joule：{message}',

  'nav.overview': '概览',
  'nav.orders': '订单',
  'nav.pools': '能量池',
  'nav.flash': '闪租',
  'nav.users': '用户',
  'nav.tenants': '租户',
  'tenants.title': '租户',
  'tenants.keys': 'API 密钥',
  'tenants.noKeys': '数据库中还没有 API 密钥：管理员用 POST /api/admin/api-keys 签发。',
  'tenants.orders': '订单',
  'tenants.users': '用户',
  'tenants.never': '从未',
  'tenants.live': '有效',
  'tenants.revoked': '已于 {at} 吊销',
  'tenants.rotated': '有效，{at} 已轮换',
  'col.tenant': '租户',
  'col.name': '名称',
  'col.liveKeys': '有效密钥',
  'col.keyPrefix': '密钥',
  'col.lastUsed': '最近使用',
  'col.keyState': '状态',
  'orders.filter.tenant': '租户',
  'orders.filter.anyTenant': '全部租户',
  'nav.docs': 'API 文档',

  'status.pending': '待处理',
  'status.delegating': '代理中',
  'status.active': '生效中',
  'status.reclaiming': '回收中',
  'status.completed': '已完成',
  'status.failed': '已失败',
  'status.cancelled': '已取消',

  'overview.orders': '各状态订单数',
  'overview.oldestPending': '最早的待处理订单',
  'overview.none': '无',
  'overview.dispatch': '任务分发',
  'overview.mode': '模式',
  'overview.mode.in-process': '进程内（内嵌模式）',
  'overview.mode.queue': 'Redis 队列（后台任务）',
  'overview.mode.sweeper': '仅定时扫描',
  'overview.redis': 'Redis',
  'overview.redis.up': '正常',
  'overview.redis.down': '不可用',
  'overview.redis.off': '未启用（ENABLE_BACKGROUND_TASKS=false）',
  'redisState.ready': '已连接',
  'redisState.connecting': '连接中',
  'redisState.reconnecting': '重连中',
  'redisState.wait': '尚未连接',
  'redisState.close': '连接已关闭',
  'redisState.end': '已放弃连接',
  'overview.breaker': '熔断器',
  'overview.breaker.closed': '关闭',
  'overview.breaker.open': '打开：新订单暂时绕过 Redis',
  'overview.breaker.half-open': '半开：正在探测 Redis',
  'overview.queueDepth': '队列深度',
  'overview.queueDepthValue': '等待 {waiting} · 执行中 {active} · 延迟 {delayed}',
  'overview.paths': '启动以来的分发路径',
  'overview.path.in-process': '进程内',
  'overview.path.queue': 'Redis 队列',
  'overview.path.sweeper': '定时扫描',
  'overview.recent': '最近订单及其路径',
  'overview.noRecent': '此进程尚未分发任何订单。',
  'overview.chainErrors': '链上调用错误',
  'overview.process': '进程',
  'overview.processValue': '已运行 {uptime} · {rss} MiB',
  'overview.delays': '处理延迟（最近一小时）',
  'overview.delayAxis': '延迟（创建 → 生效）',
  'overview.delayLegend.avg': '平均 创建 → 生效',
  'overview.delayLegend.max': '最慢',
  'overview.delayLegend.count': '每分钟生效订单数',
  'overview.delayEmpty': '最近一小时没有订单生效。',
  'overview.delaySummary': '最近一小时：生效 {activated} · 创建 {created} · 失败 {failed}',

  'orders.filter.status': '状态',
  'orders.filter.anyStatus': '全部状态',
  'orders.filter.user': '用户 ID',
  'orders.filter.address': '接收地址',
  'orders.filter.apply': '筛选',
  'orders.filter.clear': '清除',
  'orders.empty': '没有匹配的订单。',
  'pager.next': '下一页',
  'pager.previous': '上一页',
  'pager.first': '首页',
  'pager.page': '第 {n} 页',

  'col.id': '订单',
  'col.user': '用户',
  'col.energy': '能量',
  'col.duration': '时长',
  'col.status': '状态',
  'col.price': '价格（TRX）',
  'col.receiver': '接收地址',
  'col.pool': '能量池',
  'col.created': '创建时间',
  'col.note': '备注',
  'col.address': '地址',
  'col.staked': '质押（TRX）',
  'col.delegated': '已代理（TRX）',
  'col.reserved': '已预留（TRX）',
  'col.delegatable': '可代理（TRX）',
  'col.available': '当前可用（TRX）',
  'col.availableEnergy': '可用能量',
  'col.energyPerTrx': '每 TRX 能量',
  'col.poolTrx': '手续费 TRX',
  'col.bandwidth': '剩余带宽',
  'col.observed': '观测时间',
  'col.balance': '余额（TRX）',
  'col.balanceUsdt': '余额（USDT）',
  'col.since': '注册时间',
  'col.kind': '类型',
  'col.amount': '金额',
  'col.balanceAfter': '变动后余额',
  'col.reference': '参考号',
  'col.time': '时间',
  'col.path': '路径',

  'order.title': '订单 {id}',
  'order.back': '全部订单',
  'order.summary': '概要',
  'order.timeline': '时间线',
  'order.transactions': '链上交易',
  'order.noTransactions': '尚未签名任何交易。',
  'order.expires': '到期时间',
  'order.delegatedSun': '代理质押量（TRX）',
  'order.error': '失败原因',
  'order.refunded': '退款金额',
  'order.waiting': '等待原因',
  'order.lockBlocks': '锁定期',
  'order.lockBlocksValue': '{blocks} 个区块',
  'order.unlocked': '无',
  'order.event': '{from} → {to}',
  'order.eventCreated': '创建为{to}',
  'order.by': '执行者 {actor}',
  'order.notFound': '订单不存在。',
  'order.payment': '付款转账',
  'order.refund': '退款',
  'order.refundOnChain': '{trx} TRX 通过链上转账退回付款地址（已扣除退款手续费）',
  'order.refundSent': '退款交易{status}',
  'order.refundNotSent': '退款交易尚未签名',
  'order.cancel': '取消订单',
  'order.cancelConfirmPending': '取消订单 {id}？该订单尚未代理：将立即取消并全额退款。',
  'order.cancelConfirmActive': '提前取消订单 {id}？将立即回收能量，并按未使用时长退款（CANCEL_REFUND_POLICY）。',
  'order.cancelFailed': '未能取消：{message}',
  'order.cancelRequested': '已申请取消',
  'order.cancelled': '取消时间',

  'tx.delegate': '代理',
  'tx.reclaim': '回收',
  'tx.refund': '退款',
  'tx.status.signed': '已签名（结果未知）',
  'tx.status.broadcast': '已广播（等待确认）',
  'tx.status.confirmed': '已确认',
  'tx.status.failed': '失败',
  'tx.status.expired': '已过期，未上链',
  'tx.block': '区块 {n}',
  'tx.broadcasts': '已发送 {n} 次',

  'pools.title': '能量池账户',
  'pools.intro': '由工作进程在后台从链上刷新；“已预留”是进行中的订单已占用的部分。',
  'pools.total': '当前可用：{trx} TRX ≈ {energy} 能量',
  'pools.empty': '尚无能量池快照：工作进程启动后很快会写入。',
  'pools.error': '上次刷新失败：{message}',
  'pools.bandwidth': '{free} + {staked} 字节',
  'pools.bandwidthHint': '剩余的免费 + 质押带宽（字节）。每笔代理或回收约需 280 字节，不足时燃烧 TRX；两者都没有时节点会拒绝交易。请补充 TRX 或质押 TRX 获取带宽。',
  'pools.runningDry': '即将耗尽：约剩 {n} 笔交易',
  'pools.retired': '已停用：自{age}起没有工作进程读取此能量池，可能已不在配置中。不计入合计。',

  'flash.mark': '闪租',
  'flash.markHint': '通过向闪租地址转账 TRX 支付；订单失败时通过链上转账退款',
  'flash.title': '闪租',
  'flash.off': '闪租未开启：此 Joule 不接受转账付款。设置 FLASH_RENT_ADDRESS（须为某个能量池）和 FLASH_RENT_TABLE 即可开启。',
  'flash.on': '已开启：转账恰好为下列金额之一的 TRX 即按该价目下单；其他金额通过链上转账退回。',
  'flash.address': '收款地址',
  'flash.refundFee': '退款手续费',
  'flash.refundFeeValue': '每笔退款扣除 {trx} TRX',
  'flash.offers': '价目',
  'flash.send': '转账金额（TRX）',
  'flash.payments': '最近付款',
  'flash.noPayments': '尚未收到付款。',
  'flash.status.ordered': '已下单',
  'flash.status.refunding': '退款中',
  'flash.status.refunded': '已退款',
  'flash.status.kept': '已保留（金额过小，不退）',
  'flash.col.transfer': '付款交易',
  'flash.col.paid': '付款（TRX）',
  'flash.col.sender': '付款地址',
  'flash.col.memo': '转账备注',
  'flash.col.refund': '退款（TRX）',
  'flash.col.refundTx': '退款交易',
  'flash.col.reason': '原因',

  'users.title': '用户',
  'users.empty': '暂无用户：充值后自动创建。',
  'user.title': '用户 {id}',
  'user.back': '全部用户',
  'user.ledger': '账本',
  'user.orders': '该用户的订单',
  'user.notFound': '用户不存在。',
  'ledger.deposit': '充值',
  'ledger.order_debit': '订单扣款',
  'ledger.refund': '退款',

  ...reasonKeys(zhReasons),
  'refusal.withCode': '{reason}（错误码 {code}）',

  'common.loading': '加载中…',
  'common.error': '错误：{message}',
  'time.justNow': '刚刚',
  'time.secondsAgo': '{n} 秒前',
  'time.minutesAgo': '{n} 分钟前',
  'time.hoursAgo': '{n} 小时前',
};

export const LANGUAGES = { en: 'English', zh: '中文' } as const;
export type Lang = keyof typeof LANGUAGES;
export const DICTIONARIES: Record<Lang, Record<LabelKey, string>> = { en, zh };

const LANG_KEY = 'joule.lang';

/** The saved choice, else the browser's language. */
export function initialLang(): Lang {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved === 'en' || saved === 'zh') return saved;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function saveLang(lang: Lang): void {
  localStorage.setItem(LANG_KEY, lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

export type Translate = (key: LabelKey, vars?: Record<string, string | number>) => string;

export function translator(lang: Lang): Translate {
  const dict = DICTIONARIES[lang];
  return (key, vars) => dict[key].replace(/\{(\w+)\}/g, (whole, name: string) => (vars && name in vars ? String(vars[name]) : whole));
}

/** A code from the server under `prefix` (event, wait or failure reason; Redis state): its label when known, else the code itself. */
export function codeLabel(t: Translate, prefix: 'reason' | 'redisState', code: string): string {
  const key = `${prefix}.${code}`;
  return key in en ? t(key as LabelKey) : code;
}

/**
 * An event, wait or failure reason: its label, else the code itself. A refused
 * broadcast, `delegation_refused:CONTRACT_VALIDATE_ERROR`, shows its prefix's
 * label with the node's code.
 */
export function reasonLabel(t: Translate, reason: string): string {
  const colon = reason.indexOf(':');
  const prefix = reason.slice(0, colon);
  if (colon > 0 && isRefusalPrefix(prefix)) {
    return t('refusal.withCode', { reason: t(`reason.${prefix}`), code: reason.slice(colon + 1) });
  }
  return codeLabel(t, 'reason', reason);
}

const isRefusalPrefix = (s: string): s is RefusalPrefix => (REFUSAL_PREFIXES as readonly string[]).includes(s);

export const LangContext = createContext<{ lang: Lang; t: Translate; setLang(lang: Lang): void }>({
  lang: 'en',
  t: translator('en'),
  setLang: () => undefined,
});

export const useI18n = () => useContext(LangContext);
