// The floor of the dashboard read: no GraphQL at all. One prepared SQL statement builds the whole
// response body (the gateway's exact JSON shape, global ids included) as text; Node only copies it out.
import { createServer } from 'node:http';
import pg from 'pg';

const BUYER = process.env.BUYER_ID;
const gid = (type, column) => `translate(encode(convert_to('${type}:' || ${column}, 'UTF8'), 'base64'), E'+/=\\n', '-_')`;
const SQL = `
SELECT json_build_object('data', json_build_object('paymentRuns', json_build_object(
  'totalCount', (SELECT count(*) FROM payment_runs WHERE buyer_id = $1),
  'edges', COALESCE((SELECT json_agg(json_build_object('node', json_build_object(
      'id', ${gid('PaymentRun', 'r.id')}, 'status', r.status, 'payableCount', r.payable_count,
      'totalAmount', json_build_object('currency', r.currency, 'amount', r.total_amount),
      'payables', json_build_object(
        'totalCount', (SELECT count(*) FROM payables c WHERE c.payment_run_id = r.id),
        'edges', COALESCE((SELECT json_agg(json_build_object('node', json_build_object(
            'id', ${gid('Payable', 'p.id')}, 'status', p.status, 'reference', p.reference,
            'amount', json_build_object('amount', p.amount, 'currency', p.currency),
            'supplier', json_build_object('name', p.supplier_name))) ORDER BY p.position)
          FROM (SELECT * FROM payables p WHERE p.payment_run_id = r.id ORDER BY p.position LIMIT 20) p), '[]'::json))
    )) ORDER BY r.id DESC)
    FROM (SELECT * FROM payment_runs WHERE buyer_id = $1 ORDER BY id DESC LIMIT 50) r), '[]'::json)
)))::text AS body`;

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    pool.query({ name: 'dashboard', text: SQL, values: [BUYER] }).then(
      ({ rows }) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(rows[0].body); },
      (error) => { res.writeHead(500); res.end(String(error)); },
    );
  });
});
server.listen(0, '127.0.0.1', () => console.log(`LISTENING http://127.0.0.1:${server.address().port}/graphql`));
process.on('SIGTERM', () => { server.close(); void pool.end().finally(() => process.exit(0)); });
