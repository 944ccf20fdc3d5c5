/**
 * Executes the Dockerfile without Docker, so its instructions cannot rot on a machine that has no
 * engine: every stage becomes a folder, COPY copies from the build context (or an earlier stage),
 * RUN runs the same shell command there, ENV/USER/CMD/HEALTHCHECK are recorded, and `start()` runs the
 * final stage's CMD and polls its HEALTHCHECK. Only what the Dockerfile uses is understood; anything
 * else stops the check, so a new instruction has to be taught here first.
 *
 * CLI: `tsx scripts/deploy-check.ts` (needs DATABASE_URL and REDIS_URL) builds, starts the runtime
 * stage, waits for its healthcheck and answers a query. test/integration/production-build.test.ts
 * runs the same code.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';

const run = promisify(execFile);

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  name: string;
  dir: string;
  workdir: string;
  env: Record<string, string>;
  user: string | null;
  cmd: string[] | null;
  healthcheck: string | null;
  exposed: number[];
}

export interface BuildOptions {
  /** The build context (the repository). */
  context: string;
  /** Where the stage folders go. */
  out: string;
  /**
   * Link the context's node_modules instead of running a full `npm ci` in a build stage (same
   * lockfile, so the same tree; saves a minute in tests). Production installs always run.
   */
  reuseNodeModules?: boolean;
  log?: (line: string) => void;
}

/** Dockerfile → instructions: comments dropped, continuation lines joined. */
export function parseDockerfile(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!current && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(current + line);
    current = '';
  }
  if (current) logical.push(current);
  return logical.map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: line.slice(keyword.length).trim() };
  });
}

/** Leading `--name=value` flags of an instruction, and the rest. */
function flags(args: string): { flags: Record<string, string>; rest: string } {
  const found: Record<string, string> = {};
  let rest = args;
  for (;;) {
    const match = /^--([a-z-]+)=(\S+)\s+/.exec(rest);
    if (!match) return { flags: found, rest };
    found[match[1]!] = match[2]!;
    rest = rest.slice(match[0].length);
  }
}

const exists = (path: string) => stat(path).then(() => true, () => false);

/** Minimal environment for commands: no test runner's variables leak into the "image". */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' };
  if (process.env.npm_config_cache) env.npm_config_cache = process.env.npm_config_cache;
  // Same commands as in Docker, but served from the local npm cache when it has the packages.
  env.npm_config_prefer_offline = 'true';
  return env;
}

export async function buildStages(options: BuildOptions): Promise<Stage[]> {
  const log = options.log ?? (() => {});
  const dockerfile = await readFile(join(options.context, 'Dockerfile'), 'utf8');
  const stages: Stage[] = [];
  let stage: Stage | undefined;
  const inStage = (s: Stage, path: string) => join(s.dir, isAbsolute(path) ? relative(s.workdir, path) : path);

  for (const { keyword, args } of parseDockerfile(dockerfile)) {
    if (keyword === 'FROM') {
      const name = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? `stage${stages.length}`;
      stage = { name, dir: join(options.out, name), workdir: '/', env: {}, user: null, cmd: null, healthcheck: null, exposed: [] };
      await mkdir(stage.dir, { recursive: true });
      stages.push(stage);
      continue;
    }
    if (!stage) throw new Error(`${keyword} before FROM`);
    const current = stage;
    switch (keyword) {
      case 'WORKDIR':
        current.workdir = resolve(current.workdir, args);
        break;
      case 'ENV':
        for (const pair of args.split(/\s+/)) {
          const eq = pair.indexOf('=');
          if (eq <= 0) throw new Error(`ENV ${args}: use NAME=value`);
          current.env[pair.slice(0, eq)] = pair.slice(eq + 1);
        }
        break;
      case 'COPY': {
        const { flags: f, rest } = flags(args);
        const parts = rest.split(/\s+/);
        const dest = parts.pop()!;
        const from = f.from ? stages.find((s) => s.name === f.from) : undefined;
        if (f.from && !from) throw new Error(`COPY --from=${f.from}: no such stage`);
        for (const src of parts) {
          const source = from ? inStage(from, src) : join(options.context, src);
          const isDir = (await stat(source)).isDirectory();
          // Docker: a directory's contents go into dest; a file goes into dest/ or becomes dest.
          const target = isDir || !dest.endsWith('/') ? inStage(current, dest) : join(inStage(current, dest), src.split('/').pop()!);
          await mkdir(isDir ? target : join(target, '..'), { recursive: true });
          await cp(source, target, { recursive: true, dereference: false });
        }
        log(`[${current.name}] COPY ${rest}`);
        break;
      }
      case 'RUN': {
        const { rest: command } = flags(args);
        if (options.reuseNodeModules && /^npm ci\b/.test(command) && !/--omit=dev/.test(command)) {
          await symlink(join(options.context, 'node_modules'), join(current.dir, 'node_modules'), 'dir');
          log(`[${current.name}] RUN ${command}  (linked the context's node_modules instead)`);
          break;
        }
        const started = Date.now();
        await run('sh', ['-c', command], { cwd: current.dir, env: { ...baseEnv(), ...current.env }, maxBuffer: 64 * 1024 * 1024 });
        log(`[${current.name}] RUN ${command}  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
        break;
      }
      case 'USER':
        current.user = args;
        break;
      case 'EXPOSE':
        current.exposed.push(...args.split(/\s+/).map((port) => Number.parseInt(port, 10)));
        break;
      case 'HEALTHCHECK': {
        const { rest } = flags(args);
        if (!rest.startsWith('CMD ')) throw new Error(`HEALTHCHECK ${args}: only the CMD form is understood`);
        current.healthcheck = rest.slice(4);
        break;
      }
      case 'CMD':
        current.cmd = JSON.parse(args) as string[];
        break;
      default:
        throw new Error(`Dockerfile instruction ${keyword} is not understood by scripts/deploy-check.ts`);
    }
  }
  return stages;
}

export interface Container {
  process: ChildProcess;
  output(): string;
  /** Runs the HEALTHCHECK command once; true when it exits 0. */
  healthy(): Promise<boolean>;
  stop(): Promise<number | null>;
}

/** Starts a stage's CMD with extra environment (what compose or `docker run -e` would pass). */
export function start(stage: Stage, env: Record<string, string>): Container {
  if (!stage.cmd) throw new Error(`stage ${stage.name} has no CMD`);
  const fullEnv = { ...baseEnv(), ...stage.env, ...env };
  const [command, ...args] = stage.cmd;
  const child = spawn(command!, args, { cwd: stage.dir, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    process: child,
    output: () => output,
    async healthy() {
      if (!stage.healthcheck) throw new Error(`stage ${stage.name} has no HEALTHCHECK`);
      try {
        await run('sh', ['-c', stage.healthcheck], { cwd: stage.dir, env: fullEnv, timeout: 3000 });
        return true;
      } catch {
        return false;
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Polls the healthcheck (as Docker would, only faster) until it passes or the process dies. */
export async function waitHealthy(container: Container, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (container.process.exitCode !== null) throw new Error(`container exited (${container.process.exitCode}):\n${container.output()}`);
    if (await container.healthy()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`healthcheck still failing after ${timeoutMs} ms:\n${container.output()}`);
}

export async function tempDir(prefix = 'gateway-image-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export { exists, rm };

/** Settings the gateway reads: every `env.NAME`, `env['NAME']` or `helper(env, 'NAME')` in src/config.ts. */
export function settingsRead(configSource: string): Set<string> {
  const names = new Set<string>();
  for (const match of configSource.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]*)|\[['"]([A-Z][A-Z0-9_]*)['"]\]|,\s*['"]([A-Z][A-Z0-9_]*)['"])/g)) {
    names.add((match[1] ?? match[2] ?? match[3])!);
  }
  return names;
}

/** NAME of every `NAME=` or `# NAME=` line. */
export function settingsListed(envExample: string): Set<string> {
  return new Set([...envExample.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!));
}

/** `${VAR}`, `${VAR:-default}` and `${VAR:?message}` as compose substitutes them. */
export function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => {
    const set = vars[name];
    if (set !== undefined && set !== '') return set;
    if (kind === '-') return rest ?? '';
    throw new Error(`compose.yaml needs ${name}: ${rest ?? 'not set'}`);
  });
}

export interface Gateway {
  service: string;
  environment: Record<string, string>;
}

/**
 * Reads compose.yaml, deploy/nginx.conf, .env.example and src/config.ts together and lists what
 * disagrees; returns the gateway services with their environment (interpolated with `vars`).
 */
export async function checkDeploymentFiles(context: string, vars: Record<string, string>): Promise<{ problems: string[]; gateways: Gateway[] }> {
  const problems: string[] = [];
  const file = (name: string) => readFile(join(context, name), 'utf8');
  const [composeText, nginx, envExample, configSource, dockerfile] = await Promise.all([
    file('compose.yaml'),
    file('deploy/nginx.conf'),
    file('.env.example'),
    file('src/config.ts'),
    file('Dockerfile'),
  ]);
  const compose = parseYaml(composeText, { merge: true }) as {
    services: Record<string, { build?: unknown; image?: string; environment?: Record<string, string>; ports?: string[]; healthcheck?: unknown; depends_on?: Record<string, { condition?: string }> }>;
  };
  const read = settingsRead(configSource);
  const listed = settingsListed(envExample);
  for (const name of read) if (!listed.has(name)) problems.push(`.env.example does not list ${name} (read in src/config.ts)`);
  for (const name of listed) if (!read.has(name)) problems.push(`.env.example lists ${name}, which src/config.ts does not read`);

  const services = Object.entries(compose.services);
  const gateways = services.filter(([, service]) => service.build !== undefined);
  if (gateways.length < 2) problems.push('compose.yaml should run at least two gateway instances');
  const exposed = /^EXPOSE\s+(\d+)/m.exec(dockerfile)?.[1];
  const upstream = new Set([...nginx.matchAll(/^\s*server\s+([\w.-]+):(\d+)\s*;/gm)].map((m) => `${m[1]}:${m[2]}`));
  const result: Gateway[] = [];
  for (const [name, service] of gateways) {
    if (service.build !== '.') problems.push(`${name}: build should be "." (the checked Dockerfile)`);
    const environment = Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, interpolate(String(value), vars)]));
    for (const key of Object.keys(environment)) if (!read.has(key)) problems.push(`${name}: sets ${key}, which src/config.ts does not read`);
    const port = environment.PORT ?? exposed ?? '4000';
    if (port !== exposed) problems.push(`${name}: PORT ${port} differs from the Dockerfile's EXPOSE ${exposed}`);
    if (!upstream.has(`${name}:${port}`)) problems.push(`deploy/nginx.conf does not route to ${name}:${port}`);
    for (const dependency of ['postgres', 'redis']) {
      if (service.depends_on?.[dependency]?.condition !== 'service_healthy') problems.push(`${name}: should wait for ${dependency} to be healthy`);
      if (!compose.services[dependency]?.healthcheck) problems.push(`${dependency}: needs a healthcheck`);
    }
    result.push({ service: name, environment });
  }
  for (const entry of upstream) if (!gateways.some(([name]) => entry.startsWith(`${name}:`))) problems.push(`deploy/nginx.conf routes to ${entry}, no such gateway service`);
  const published = services.filter(([, service]) => service.ports?.length);
  if (published.length !== 1 || published[0]![1].build !== undefined) problems.push('exactly one service (the proxy) should publish a port');
  return { problems, gateways: result };
}

async function main() {
  const context = fileURLToPath(new URL('..', import.meta.url));
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is required (a PostgreSQL database the gateway may migrate)');
  const { problems } = await checkDeploymentFiles(context, { JWT_SECRET: 'deploy-check-secret-of-at-least-32-characters', API_KEY: 'deploy-check' });
  if (problems.length) throw new Error(`deployment files disagree:\n- ${problems.join('\n- ')}`);
  const out = await tempDir();
  try {
    const built = Date.now();
    const stages = await buildStages({ context, out, log: console.log, reuseNodeModules: process.argv.includes('--reuse-node-modules') });
    console.log(`built in ${((Date.now() - built) / 1000).toFixed(1)} s`);
    const runtime = stages.at(-1)!;
    const port = String(runtime.exposed[0] ?? 4000);
    const container = start(runtime, {
      DATABASE_URL: databaseUrl,
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
      PORT: process.env.PORT ?? port,
      HOST: '127.0.0.1',
    });
    const started = Date.now();
    await waitHealthy(container);
    console.log(`healthy after ${Date.now() - started} ms`);
    const response = await fetch(`http://127.0.0.1:${process.env.PORT ?? port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    console.log('query:', response.status, await response.text());
    await container.stop();
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
