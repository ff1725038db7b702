import { buildApp } from './app.ts'
import type { Config } from './config.ts'
import type { Db } from './db/connection.ts'

/** Listens, and stops with grace on SIGTERM/SIGINT: in-flight requests finish first. */
export async function startServer (config: Config, db: Db, opts: { logStream?: NodeJS.WritableStream } = {}): Promise<void> {
  const app = await buildApp({ config, db, closeDb: true, backgroundJobs: true, logStream: opts.logStream })
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    app.log.info({ signal }, 'stopping')
    const force = setTimeout(() => process.exit(1), 10_000).unref()
    await app.close()
    clearTimeout(force)
    process.exit(0)
  }
  process.on('SIGTERM', () => { stop('SIGTERM').catch(reportStartFailure) })
  process.on('SIGINT', () => { stop('SIGINT').catch(reportStartFailure) })
  await app.listen({ host: config.host, port: config.port })
  app.log.info(`digikurser is listening on ${config.publicUrl}`)
}

export function reportStartFailure (error: unknown): never {
  const known = error instanceof Error && ['ConfigError', 'CatalogueError', 'MigrationError'].includes(error.name)
  if (known) console.error(`digikurser cannot start: ${error.message}`)
  else console.error('digikurser cannot start:', error)
  process.exit(1)
}
