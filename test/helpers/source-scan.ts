/**
 * Reads src/ with the TypeScript parser for the architecture checks: which status words appear in
 * string literals (SQL included) and which modules each file imports. Comments never count.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import {
  AuthorisationStatus, BatchStatus, FundingGroupStatus, PayableStatus, PaymentRunStatus,
} from '../../src/domain/shared/statuses.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');

/** Every status of the five state machines. */
export const STATUS_WORDS = new Set<string>([
  ...Object.values(PaymentRunStatus), ...Object.values(PayableStatus), ...Object.values(FundingGroupStatus),
  ...Object.values(BatchStatus), ...Object.values(AuthorisationStatus),
]);

/** Source files under src/ (repo-relative, forward slashes), tests and generated code left out. */
export function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'generated' && entry.name !== 'web') walk(path);
      } else if (/\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        out.push(relative(ROOT, path).split('\\').join('/'));
      }
    }
  };
  walk(SRC);
  return out.sort();
}

const parse = (file: string) => ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);

export interface StatusLiteral { file: string; line: number; word: string; text: string }

/** A GraphQL `description: '…'` is documentation for clients, not a rule. */
const isDescription = (node: ts.Node) =>
  !!node.parent && ts.isPropertyAssignment(node.parent) && node.parent.initializer === node && node.parent.name.getText() === 'description';

/** Status words inside string and template literals (each occurrence counts), descriptions aside. */
export function statusLiterals(file: string): StatusLiteral[] {
  const source = parse(file);
  const found: StatusLiteral[] = [];
  const visit = (node: ts.Node) => {
    if (isDescription(node)) return;
    if (
      ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)
    ) {
      const text = (node as ts.LiteralLikeNode).text;
      for (const word of text.match(/[A-Z][A-Z_]*[A-Z]/g) ?? []) {
        if (STATUS_WORDS.has(word)) {
          const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
          found.push({ file, line, word, text: text.length > 60 ? `${text.slice(0, 57)}...` : text });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Repo-relative paths of the src/ modules a file imports or re-exports (type-only imports included). */
export function localImports(file: string): string[] {
  const source = parse(file);
  const out: string[] = [];
  const add = (specifier: ts.Expression | undefined) => {
    if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) return;
    out.push(relative(ROOT, resolve(dirname(join(ROOT, file)), specifier.text)).split('\\').join('/'));
  };
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) add(statement.moduleSpecifier);
  }
  return out;
}

const MACHINE_TABLES = /\bUPDATE\s+(payment_runs|payables|funding_groups|batches|authorisations)\b[\s\S]*?\bSET\b[\s\S]*?\bstatus\s*=/i;
const MACHINE_DELEGATES = /\.(paymentRun|payable|fundingGroup|batch|authorisation)\.(update|updateMany|updateManyAndReturn|upsert)$/;

/**
 * Places that change the status of one of the five machines' rows: SQL that UPDATEs a status column
 * of their tables, or a Prisma update of their models whose `data` sets `status`.
 */
export function statusWrites(file: string): string[] {
  const source = parse(file);
  const found: string[] = [];
  const where = (node: ts.Node) => `${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const visit = (node: ts.Node) => {
    if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node))
      && MACHINE_TABLES.test(node.getText())) {
      found.push(where(node));
    }
    if (ts.isCallExpression(node) && MACHINE_DELEGATES.test(node.expression.getText())) {
      const data = node.arguments[0] && ts.isObjectLiteralExpression(node.arguments[0])
        ? node.arguments[0].properties.find((p) => p.name?.getText() === 'data')
        : undefined;
      if (data && ts.isPropertyAssignment(data) && ts.isObjectLiteralExpression(data.initializer)
        && data.initializer.properties.some((p) => p.name?.getText() === 'status')) {
        found.push(where(node));
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}
