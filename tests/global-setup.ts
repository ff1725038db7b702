import type { TestProject } from 'vitest/node'
import { resolve } from 'node:path'
import { createTemplate, dropDatabases, externalServer, startThrowawayCluster } from './helpers/postgres.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set when the suite runs on PostgreSQL (TEST_DB=postgres): where to clone test databases from. */
    postgres: { adminUrl: string, template: string, prefix: string } | null
  }
}

/**
 * With TEST_DB=postgres (npm run test:pg) the whole suite runs on PostgreSQL: one server
 * for the run (a throwaway cluster, or TEST_DATABASE_URL) and a migrated template that each
 * test database is cloned from.
 */
export default async function setup (project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env.TEST_DB !== 'postgres') {
    project.provide('postgres', null)
    return undefined
  }
  const coursesDir = resolve(import.meta.dirname, '../courses')
  const given = process.env.TEST_DATABASE_URL
  const server = given ? externalServer(given) : await startThrowawayCluster()
  const prefix = `dkt_${process.pid}_${Date.now().toString(36)}`
  const template = `${prefix}_template`
  try {
    await createTemplate(server.adminUrl, template, coursesDir)
  } catch (error) {
    await server.stop()
    throw error
  }
  project.provide('postgres', { adminUrl: server.adminUrl, template, prefix })
  return async () => {
    if (given) await dropDatabases(server.adminUrl, prefix).catch(() => {})
    await server.stop()
  }
}
