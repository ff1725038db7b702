/**
 * The import graph of server/ per folder: how many imports point from each folder to each
 * other, and which of them go against the layer rules in eslint.config.js.
 *
 *   npm run graph            the table
 *   npm run graph -- --dot   Graphviz, for `dot -Tsvg`
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..', 'server')

function files (dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return files(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

/** routes/staff/x.ts → routes; config.ts → (top) */
function folderOf (path: string): string {
  const rel = relative(root, path)
  return rel.includes('/') ? rel.split('/')[0]! : '(top)'
}

const edges = new Map<string, number>()
const importPattern = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm
for (const file of files(root)) {
  const text = readFileSync(file, 'utf8')
  for (const match of text.matchAll(importPattern)) {
    const spec = match[1] ?? match[2]!
    const target = spec.startsWith('.') ? resolve(dirname(file), spec) : null
    const to = target === null ? (spec === 'kysely' ? 'kysely' : null) : (target.startsWith(root) ? folderOf(target) : null)
    if (to === null) continue
    const from = folderOf(file)
    if (from === to) continue
    const key = `${from} → ${to}`
    edges.set(key, (edges.get(key) ?? 0) + 1)
  }
}

/** The layer rules, as in eslint.config.js: which folders a folder must not import. */
const forbidden: Record<string, string[]> = {
  domain: ['repositories', 'services', 'mail', 'plugins', 'routes', 'kysely'],
  repositories: ['services', 'mail', 'plugins', 'routes'],
  db: ['services', 'mail', 'plugins', 'routes'],
  mail: ['plugins', 'routes', 'services'],
  services: ['plugins', 'routes'],
  plugins: ['routes'],
  routes: ['kysely']
}

const rows = [...edges.entries()].sort(([a], [b]) => a.localeCompare(b))
if (process.argv.includes('--dot')) {
  console.log('digraph server {\n  rankdir=TB;')
  for (const [key, count] of rows) {
    const [from, to] = key.split(' → ') as [string, string]
    const bad = forbidden[from]?.includes(to) === true
    console.log(`  "${from}" -> "${to}" [label=${count}${bad ? ', color=red' : ''}];`)
  }
  console.log('}')
} else {
  let against = 0
  for (const [key, count] of rows) {
    const [from, to] = key.split(' → ') as [string, string]
    const bad = forbidden[from]?.includes(to) === true
    if (bad) against += count
    console.log(`${key.padEnd(28)} ${String(count).padStart(4)}${bad ? '   against the layer rules' : ''}`)
  }
  console.log(`\n${against} import${against === 1 ? '' : 's'} against the layer rules`)
}
