// Builds the dashboard (src/web → dist/web) for `npm install` (postinstall) and `npm start`, so a
// clean clone serves the page with the README's two commands. `--if-missing` keeps an existing
// build. Without the dev toolchain (`npm ci --omit=dev`) it only says so: `npm run build` made dist/web.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = (path) => fileURLToPath(new URL(`../${path}`, import.meta.url));

if (process.argv.includes('--if-missing') && existsSync(at('dist/web/index.html'))) process.exit(0);
if (!existsSync(at('node_modules/vite/package.json'))) {
  console.warn('build-web: vite is not installed (a production install?): the dashboard is not built here.');
  process.exit(0);
}
for (const script of ['codegen', 'build:web']) {
  const { status } = spawnSync('npm', ['run', '--silent', script], { cwd: root, stdio: 'inherit' });
  if (status !== 0) process.exit(status ?? 1);
}
