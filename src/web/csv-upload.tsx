import { useState } from 'preact/hooks';
import { ApiError, formatMoney, request } from './api.ts';
import { cellErrorsOf, parsePayablesCsv, type CellError, type ParsedCsv } from './csv-payables.ts';
import { graphql } from './generated/index.ts';

const CreateRun = graphql(`
  mutation CreateRunFromCsv($input: CreatePaymentRunInput!) { createPaymentRun(input: $input) { id status } }
`);

/** Create a run from a CSV export: check it here, send it, show every problem at its row and column. */
export function CsvUpload({ onCreated }: { onCreated: (id: string) => void }) {
  const [parsed, setParsed] = useState<(ParsedCsv & { fileName: string }) | null>(null);
  const [errors, setErrors] = useState<CellError[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function choose(event: Event) {
    const file = (event.currentTarget as HTMLInputElement).files?.[0];
    setMessage(null);
    if (!file) return setParsed(null);
    const result = parsePayablesCsv(await file.text());
    setParsed({ ...result, fileName: file.name });
    setErrors(result.errors);
  }

  async function submit(event: SubmitEvent) {
    event.preventDefault();
    if (!parsed || errors.length) return;
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    const optional = (name: string) => String(form.get(name) ?? '').trim() || null;
    setBusy(true);
    setMessage(null);
    try {
      const { createPaymentRun } = await request(CreateRun, {
        input: { paymentRunRef: optional('paymentRunRef'), description: optional('description'), tag: optional('tag'), payables: parsed.payables },
      });
      setParsed(null);
      formElement.reset();
      onCreated(createPaymentRun.id);
    } catch (e) {
      const fields = e instanceof ApiError ? e.invalidFields : [];
      setErrors(cellErrorsOf(fields));
      setMessage(fields.length ? `The gateway refused ${fields.length} field${fields.length > 1 ? 's' : ''}: nothing was created.` : (e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  const total = parsed?.payables.reduce((n, p) => n + p.amount.amount, 0) ?? 0;
  const badRows = [...new Set(errors.map((e) => e.row))].sort((a, b) => a - b);

  return (
    <section class="upload" aria-labelledby="upload-title">
      <h2 id="upload-title">New payment run from a CSV file</h2>
      <form onSubmit={submit}>
        <label>CSV file of payables<input type="file" name="file" accept=".csv,text/csv" onChange={choose} required /></label>
        <label>Reference<input name="paymentRunRef" maxLength={64} /></label>
        <label>Description<input name="description" /></label>
        <label>Tag<input name="tag" /></label>
        {parsed && errors.length === 0 && (
          <p role="status">{parsed.payables.length} payable{parsed.payables.length === 1 ? '' : 's'} in {parsed.fileName},
            {' '}{formatMoney({ amount: total, currency: parsed.payables[0]?.amount.currency ?? 'GBP' })} in all.</p>
        )}
        <button type="submit" disabled={busy || !parsed || errors.length > 0}>{busy ? 'Creating…' : 'Create run'}</button>
      </form>
      {message && <p role="alert" class="error">{message}</p>}
      {errors.length > 0 && (
        <div class="csv-errors">
          <h3>{errors.length} problem{errors.length > 1 ? 's' : ''} to fix in the file</h3>
          <ul aria-label="Problems in the file">
            {errors.map((e) => (
              <li data-row={e.row} data-column={e.column ?? ''}>Row {e.row}{e.column && <>, column <code>{e.column}</code></>}: {e.message}</li>
            ))}
          </ul>
          {parsed && <ErrorRows parsed={parsed} errors={errors} rows={badRows} />}
        </div>
      )}
    </section>
  );
}

/** The rows with problems, every cell shown, the wrong ones marked. */
function ErrorRows({ parsed, errors, rows }: { parsed: ParsedCsv; errors: CellError[]; rows: number[] }) {
  // The file's own columns, plus any a problem names that the file lacks.
  const columns = [...new Set([...parsed.columns, ...errors.flatMap((e) => (e.column ? [e.column] : []))])];
  return (
    <div class="scroll">
      <table>
        <caption class="visually-hidden">Rows with problems</caption>
        <thead><tr><th scope="col">Row</th>{columns.map((c) => <th scope="col">{c}</th>)}</tr></thead>
        <tbody>
          {rows.filter((row) => row >= 2).slice(0, 100).map((row) => {
            const values = parsed.rows[row - 2] ?? {};
            return (
              <tr data-csv-row={row}>
                <th scope="row">{row}</th>
                {columns.map((column) => {
                  const problems = errors.filter((e) => e.row === row && e.column === column);
                  return (
                    <td data-column={column} aria-invalid={problems.length > 0 ? 'true' : undefined}
                      title={problems.map((p) => p.message).join('; ') || undefined}>{values[column] ?? ''}</td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
