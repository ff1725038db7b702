import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** True when running the bundle in dist/ (`npm run build`), false under tsx or vitest. */
export const isCompiled = import.meta.url.endsWith('.js')

function findRoot (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(resolve(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir)
  return dir
}

/** The project folder, which holds views/, public/ and node_modules/, wherever the bundle put this code. */
export const projectRoot = findRoot()

/** The page and e-mail templates. */
export const viewsDir = resolve(projectRoot, 'views')

/** The migrations: as TypeScript under tsx, bundled in dist/migrations when compiled. */
export const migrationsDir = resolve(projectRoot, isCompiled ? 'dist/migrations' : 'migrations')
