/** The one admin token of every benchmark; server scripts get it as ADMIN_TOKEN (see startServer). */
export const BENCH_ADMIN_TOKEN = 'bench-admin-token-000000';
