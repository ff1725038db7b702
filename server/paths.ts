import { basename, dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

/**
 * The project folder, which holds views/, public/ and node_modules/. This file is
 * server/paths.ts under tsx and dist/server/paths.js when compiled (`npm run build`).
 */
export const projectRoot = basename(resolve(here, '..')) === 'dist' ? resolve(here, '../..') : resolve(here, '..')

/** The page and e-mail templates. */
export const viewsDir = resolve(projectRoot, 'views')
