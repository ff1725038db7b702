import fp from 'fastify-plugin'
import type { Db } from '../db/connection.ts'

declare module 'fastify' {
  interface FastifyInstance {
    db: Db
  }
}

/** Makes the database available as `fastify.db` and closes it with the server. */
export default fp<{ db: Db, closeOnStop: boolean }>(async (fastify, opts) => {
  fastify.decorate('db', opts.db)
  if (opts.closeOnStop) fastify.addHook('onClose', async () => { await opts.db.destroy() })
}, { name: 'db', fastify: '5.x' })
