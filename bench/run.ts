// npm run bench: every benchmark in turn on this machine, each on its own fresh database.
// Figures are quoted in the README. Not part of the tests.
import { cpus } from 'node:os';
import { benchPaymentRuns } from './payment-runs.ts';

const suites: [string, () => Promise<Record<string, string>>][] = [['payment runs', benchPaymentRuns]];
for (const optional of ['./funding.ts', './payable-groups.ts', './fanout.ts', './webhooks.ts', './bank-events.ts']) {
  try {
    const module = await import(optional);
    suites.push([module.title, module.run]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
  }
}

console.log(`# bench on ${cpus().length} cores (${cpus()[0]?.model}), node ${process.version}`);
for (const [title, run] of suites) {
  const figures = await run();
  console.log(`\n## ${title}`);
  for (const [name, value] of Object.entries(figures)) console.log(`- ${name}: ${value}`);
}
process.exit(0);
