import fp from 'fastify-plugin'
import { runRetentionIfDue } from '../services/privacy-service.ts'

declare module 'fastify' {
  interface FastifyInstance {
    jobs: {
      /** Runs the daily jobs that are due (anonymisation); the timer calls it, tests call it by hand. */
      runDue: (now?: Date) => Promise<void>
    }
  }
}

export interface JobsPluginOptions {
  backgroundJobs: boolean
  intervalMs?: number
}

/**
 * The daily jobs. Every server checks every ten minutes whether one is due; the due run
 * is taken with one conditional update, so it runs once however many servers there are.
 */
export default fp<JobsPluginOptions>(async (fastify, opts) => {
  const log = fastify.log.child({ component: 'jobs' })
  const runDue = async (now: Date = new Date()) => {
    if (await runRetentionIfDue(fastify.db, fastify.config.retentionMonths, now)) log.info('retention job ran')
  }
  fastify.decorate('jobs', { runDue })
  if (!opts.backgroundJobs) return
  let timer: NodeJS.Timeout | null = null
  let running: Promise<void> | null = null
  let closing = false
  const tick = () => {
    running = runDue().catch((error: Error) => log.warn({ error: error.message }, 'daily jobs failed'))
      .finally(() => { if (!closing) timer = setTimeout(tick, opts.intervalMs ?? 10 * 60_000) })
  }
  fastify.addHook('onReady', async () => { tick() })
  fastify.addHook('preClose', async () => {
    closing = true
    if (timer) clearTimeout(timer)
    await running
  })
}, { name: 'jobs', dependencies: ['db', 'config'] })
