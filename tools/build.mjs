// `npm run build`: the server, its command-line tools and the migrations bundled by
// esbuild into dist/, run by plain node (`npm start`, `npm run demo`, `npm run db:migrate`
// …), with source maps so that a stack trace names the TypeScript file and line.
// One build with code splitting: the entry points share chunks, so the migrations and
// the server use one and the same Kysely. Type checking is `npm run typecheck`.
import { readdirSync, rmSync } from 'node:fs'
import { build } from 'esbuild'

const entries = [
  'server/main.ts',
  ...readdirSync('server/cli').filter(f => f.endsWith('.ts')).map(f => `server/cli/${f}`),
  ...readdirSync('migrations').filter(f => f.endsWith('.ts')).map(f => `migrations/${f}`)
]

rmSync('dist', { recursive: true, force: true })
const started = performance.now()
await build({
  entryPoints: entries,
  outdir: 'dist',
  outbase: '.',
  chunkNames: 'server/chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // Smaller to read and compile at every start; names kept for logs and stack traces.
  minify: true,
  keepNames: true,
  // The maps point at the files in server/; no copy of the sources in them.
  sourcesContent: false,
  logLevel: 'warning',
  // Native addons stay in node_modules, and so does ExcelJS, loaded on a leader's
  // first spreadsheet download, not at start.
  external: ['better-sqlite3', 'sodium-native', '@node-rs/argon2', 'pg-native', 'exceljs'],
  // Bundled CommonJS packages may require Node's own modules.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" }
})
console.log(`Built dist/ in ${Math.round(performance.now() - started)} ms.`)
