/** Where Debian puts versioned PostgreSQL binaries, or null when not installed. */
export function postgresBinDir(): string | null;
/** Installs the Debian packages whose programs the tests run, when missing. */
export function provision(): void;
/** Debian packages the tests need that are not installed. */
export function missingPackages(): string[];
/** Debian's Chromium, which the dashboard's browser tests drive. */
export const CHROMIUM: string;
