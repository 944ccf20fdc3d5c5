/**
 * Where rules may live (README "Architecture"). Statuses are named in the `*.states.ts` tables;
 * everything else reads them. The domain depends on no adapter; the sandbox drives the domain only
 * through its public commands and implements its ports.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { localImports, ROOT, sourceFiles, statusLiterals, statusWrites } from './helpers/source-scan.ts';

/** Files that may spell statuses, and why. */
const MAY_SPELL_STATUSES: Record<string, string> = {
  'src/domain/shared/statuses.ts': 'the vocabulary itself (CONTRACT.md §3), which the GraphQL enums map',
  'src/graphql/idempotency.ts': "an idempotency record's own status, not an entity's",
  'src/graphql/descriptions.ts': "the schema's descriptions: documentation for clients, not a rule",
};

describe('status literals', () => {
  it('appear only in the *.states.ts tables (and the vocabulary they are drawn from)', () => {
    const stray = sourceFiles()
      .filter((file) => !file.endsWith('.states.ts') && !(file in MAY_SPELL_STATUSES))
      .flatMap(statusLiterals)
      .map((l) => `${l.file}:${l.line} ${l.word} in ${JSON.stringify(l.text)}`);
    expect(stray).toEqual([]);
  });

  it('are found by the scan (it would pass vacuously otherwise)', () => {
    const inTables = sourceFiles().filter((file) => file.endsWith('.states.ts')).flatMap(statusLiterals);
    expect(inTables.length).toBeGreaterThan(50);
    expect(inTables.map((l) => l.word)).toContain('PENDING_CONFIRMATION');
  });
});

describe('status writes', () => {
  it('happen only in the status writer', () => {
    const writes = sourceFiles().flatMap(statusWrites);
    expect(writes.filter((w) => !w.startsWith('src/domain/status-writer.ts:'))).toEqual([]);
    // The writer's own run update is found, so the scan is not vacuous (its other statements name the table by variable).
    expect(writes.some((w) => w.startsWith('src/domain/status-writer.ts:'))).toBe(true);
  });
});

const under = (dir: string) => (path: string) => path === dir || path.startsWith(`${dir}/`);

describe('imports', () => {
  const files = sourceFiles();

  it('keep src/domain free of src/sandbox, src/providers, src/graphql, src/events, src/transport and src/jobs', () => {
    const forbidden = ['src/sandbox', 'src/providers', 'src/graphql', 'src/events', 'src/transport', 'src/jobs'].map(under);
    const stray = files.filter(under('src/domain')).flatMap((file) =>
      localImports(file).filter((target) => forbidden.some((f) => f(target))).map((target) => `${file} → ${target}`));
    expect(stray).toEqual([]);
  });

  it('keep src/domain free of the provider implementations (src/providers): it owns the ports they implement', () => {
    expect(files.some(under('src/providers'))).toBe(true);
    const stray = files.filter(under('src/domain')).flatMap((file) =>
      localImports(file).filter(under('src/providers')).map((target) => `${file} → ${target}`));
    expect(stray).toEqual([]);
  });

  it('let src/sandbox reach the domain only through its public commands and ports', () => {
    const publicSurface = (target: string) => /^src\/domain\/.+\.commands\.ts$/.test(target) || target === 'src/domain/ports.ts';
    const sandbox = files.filter(under('src/sandbox'));
    expect(sandbox.length).toBeGreaterThan(0);
    const stray = sandbox.flatMap((file) =>
      localImports(file)
        .filter((target) => !under('src/sandbox')(target))
        .filter((target) => !(under('src/domain')(target) && publicSurface(target)))
        .map((target) => `${file} → ${target}`));
    expect(stray).toEqual([]);
  });

  it('let providers (src/providers) see only the ports', () => {
    const stray = files.filter(under('src/providers')).flatMap((file) =>
      localImports(file).filter((target) => under('src/domain')(target) && target !== 'src/domain/ports.ts').map((target) => `${file} → ${target}`));
    expect(stray).toEqual([]);
  });

  it('let the sandbox autopilot report to the domain only through the public bank commands (apply*)', () => {
    const domain = localImports('src/sandbox/autopilot.ts').filter(under('src/domain'));
    expect(domain).toContain('src/domain/bank/bank.commands.ts');
    expect(domain.filter((target) => target !== 'src/domain/bank/bank.commands.ts' && target !== 'src/domain/ports.ts')).toEqual([]);
    const source = readFileSync(join(ROOT, 'src/sandbox/autopilot.ts'), 'utf8');
    const calls = [...source.matchAll(/\b(apply\w+)\(/g)].map((m) => m[1]);
    expect(new Set(calls)).toEqual(new Set(['applyAuthorisationOutcome', 'applyFundsReceived', 'applyPayableOutcomes']));
  });

  it('are read by the scan', () => {
    expect(localImports('src/domain/payment-run/payment-run.commands.ts')).toContain('src/domain/shared/unit-of-work.ts');
  });
});
