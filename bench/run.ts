// `npm run bench`: every bench/*.bench.ts in turn. Each prints its own table
// with ratios against a baseline measured in the same run.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
for (const file of readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort()) {
  if (only.length > 0 && !only.some((o) => file.includes(o))) continue;
  const mod = (await import(`./${file}`)) as { run(): Promise<unknown> };
  await mod.run();
}
