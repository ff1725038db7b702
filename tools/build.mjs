// `npm run build`: the server, its command-line tools and the migrations bundled by
// esbuild into dist/, run by plain node (`npm start`, `npm run demo`, `npm run db:migrate`
// …), with source maps so that a stack trace names the TypeScript file and line.
// One build with code splitting: the entry points share chunks, so the migrations and
// the server use one and the same Kysely. Type checking is `npm run typecheck`.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { decode, encode } from '@jridgewell/sourcemap-codec'
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

/**
 * The maps keep the lines of our own code only. A stack frame in a bundled package
 * then shows its place in the bundle, and the maps, which node keeps in memory with
 * --enable-source-maps, are a tenth of the size (about 20 MB less at start).
 */
function ownLinesOnly (file) {
  const map = JSON.parse(readFileSync(file, 'utf8'))
  const own = map.sources.map(source => !source.includes('node_modules/'))
  const lines = decode(map.mappings).map(line => line.filter(segment => segment.length > 1 && own[segment[1]]))
  const used = new Set(lines.flatMap(line => line.map(segment => segment[1])))
  // Sources no line points at are left out, and the rest numbered anew.
  const index = new Map([...used].sort((a, b) => a - b).map((old, i) => [old, i]))
  const names = new Set(lines.flatMap(line => line.filter(segment => segment.length === 5).map(segment => segment[4])))
  const nameIndex = new Map([...names].sort((a, b) => a - b).map((old, i) => [old, i]))
  map.mappings = encode(lines.map(line => line.map(([column, source, row, col, name]) =>
    name === undefined ? [column, index.get(source), row, col] : [column, index.get(source), row, col, nameIndex.get(name)])))
  map.sources = [...index.keys()].map(old => map.sources[old])
  map.names = [...nameIndex.keys()].map(old => map.names[old])
  writeFileSync(file, JSON.stringify(map))
}
const maps = readdirSync('dist', { recursive: true }).filter(f => f.endsWith('.map')).map(f => join('dist', f))
for (const file of maps) ownLinesOnly(file)

console.log(`Built dist/ in ${Math.round(performance.now() - started)} ms.`)
