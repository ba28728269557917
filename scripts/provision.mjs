// Installs the Debian packages whose programs the tests run, when missing.
// Only apt-get is used, and only when a program cannot be found.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

/** Where Debian puts versioned PostgreSQL binaries. */
export function postgresBinDir() {
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath.replace(/\/initdb$/, '');
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(`${base}/${v}/bin/initdb`)) return `${base}/${v}/bin`;
  return null;
}

function has(program) {
  return spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;
}

/** Debian's Chromium, which the dashboard's browser tests drive. */
export const CHROMIUM = '/usr/bin/chromium';

/** A font with Chinese glyphs, so the dashboard's Chinese screenshots show text rather than boxes. */
function hasChineseFont() {
  return has('fc-list') && spawnSync('fc-list', [':lang=zh'], { encoding: 'utf8' }).stdout.trim() !== '';
}

const needs = [
  { ok: () => postgresBinDir() !== null, pkg: 'postgresql' },
  { ok: () => has('redis-server'), pkg: 'redis-server' },
  { ok: () => existsSync(CHROMIUM), pkg: 'chromium' },
  { ok: hasChineseFont, pkg: 'fonts-wqy-zenhei' },
];

/** Debian packages the tests need that are not installed. */
export function missingPackages() {
  return needs.filter((n) => !n.ok()).map((n) => n.pkg);
}

export function provision() {
  const missing = missingPackages();
  if (missing.length === 0) return;
  if (!has('apt-get')) {
    console.error(`missing test services (${missing.join(', ')}) and no apt-get to install them`);
    process.exit(1);
  }
  const sudo = process.getuid && process.getuid() !== 0 ? ['sudo'] : [];
  console.log(`installing Debian packages for the tests: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync(sudo[0] ?? 'apt-get', [...(sudo.length ? ['apt-get'] : []), 'update', '-qq'], { stdio: 'inherit', env });
  execFileSync(sudo[0] ?? 'apt-get', [...(sudo.length ? ['apt-get'] : []), 'install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
}
