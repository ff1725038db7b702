import { resolve } from 'node:path'
import { ESLint } from 'eslint'
import { beforeAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '..', '..')

/** The layer rules of eslint.config.js, run on snippets as if they were files in each folder. */
describe('lint knows the floors', () => {
  let eslint: ESLint
  beforeAll(async () => {
    eslint = new ESLint({ cwd: root, overrideConfigFile: resolve(root, 'eslint.config.js') })
    // The first run loads the config and the TypeScript parser: seconds, kept out of the tests.
    await eslint.lintText('\n', { filePath: resolve(root, 'server/domain/x.ts') })
  })

  /** The layer rules that fire on `code` placed at `file`, as "rule: message". */
  async function layerErrors (file: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(`${code}\n`, { filePath: resolve(root, file) })
    return (result?.messages ?? [])
      .filter(m => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax' || m.fatal === true)
      .map(m => `${m.ruleId ?? 'fatal'}: ${m.message}`)
  }

  const wrongArrows: Array<[file: string, code: string]> = [
    ['server/repositories/x-repository.ts', "import { bookSeat } from '../services/booking-service.ts'"],
    ['server/repositories/x-repository.ts', "import { queueMail } from '../mail/outbox.ts'"],
    ['server/repositories/x-repository.ts', "import { viewsDir } from '../plugins/view.ts'"],
    ['server/domain/x.ts', "import { findClassRow } from '../repositories/class-repository.ts'"],
    ['server/domain/x.ts', "import { bookSeat } from '../services/booking-service.ts'"],
    ['server/domain/x.ts', "import { sql } from 'kysely'"],
    ['server/services/x-service.ts', "import { plainDanishPage } from '../plugins/errors.ts'"],
    ['server/services/x-service.ts', "import { apiError } from '../routes/api/api-errors.ts'"],
    ['server/routes/staff/x-routes.ts', "import { sql } from 'kysely'"],
    ['server/mail/x.ts', "import { viewsDir } from '../plugins/view.ts'"],
    ['server/mail/x.ts', "import { buildReport } from '../services/report-service.ts'"],
    ['server/db/x.ts', "import { buildReport } from '../services/report-service.ts'"],
    ['server/db/x.ts', "import { renderMail } from '../mail/render.ts'"],
    ['server/plugins/x.ts', "import { apiError } from '../routes/api/api-errors.ts'"]
  ]

  it.each(wrongArrows)('refuses, in %s: %s', async (file, code) => {
    expect(await layerErrors(file, code)).toEqual([expect.stringMatching(/^no-restricted-imports: /)])
  })

  const rightArrows: Array<[file: string, code: string]> = [
    ['server/repositories/x-repository.ts', "import { sql } from 'kysely'\nimport type { DbOrTx } from '../db/connection.ts'\nimport { ZONE } from '../domain/time.ts'"],
    ['server/domain/x.ts', "import type { StaffRole } from '../db/schema.ts'\nimport { ZONE } from './time.ts'"],
    ['server/services/x-service.ts', "import { queueMail } from '../mail/outbox.ts'\nimport { insertAuditEntry } from '../repositories/audit-repository.ts'\nimport { ZONE } from '../domain/time.ts'"],
    ['server/routes/staff/x-routes.ts', "import { findClassRow, listMeetings } from '../../repositories/class-repository.ts'\nimport { bookSeat } from '../../services/booking-service.ts'\nimport { startStaffSession } from '../../plugins/auth.ts'"],
    ['server/mail/x.ts', "import { buildCalendar } from '../domain/calendar.ts'\nimport { claimNextDue } from '../repositories/outbox-repository.ts'"],
    ['server/db/x.ts', "import { ZONE } from '../domain/time.ts'\nimport { Kysely } from 'kysely'"],
    ['server/plugins/x.ts', "import { OutboxWorker } from '../mail/worker.ts'\nimport { verifyApiToken } from '../services/api-token-service.ts'"]
  ]

  it.each(rightArrows)('lets through, in %s: %s', async (file, code) => {
    expect(await layerErrors(file, code)).toEqual([])
  })

  it('refuses a route that imports a repository function that writes, and names each one', async () => {
    const errors = await layerErrors('server/routes/staff/x-routes.ts', [
      "import { findOutboxMessage, requeueMessage } from '../../repositories/outbox-repository.ts'",
      "import { insertAuditEntry } from '../../repositories/audit-repository.ts'",
      "import { countRequest } from '../../repositories/shared-state-repository.ts'"
    ].join('\n'))
    expect(errors).toHaveLength(3)
    expect(errors.join('\n')).toMatch(/'requeueMessage'[\s\S]*'insertAuditEntry'[\s\S]*'countRequest'/)
    expect(errors.join('\n')).not.toContain('findOutboxMessage')
  })

  it('refuses a transaction opened in any route, the check-in routes too', async () => {
    const code = 'export async function save (db: { transaction: () => unknown }) { return db.transaction() }'
    expect(await layerErrors('server/routes/staff/x-routes.ts', code)).toEqual([expect.stringMatching(/^no-restricted-syntax: Routes never open a transaction/)])
    expect(await layerErrors('server/routes/checkin/other-routes.ts', code)).toHaveLength(1)
    expect(await layerErrors('server/services/x-service.ts', code)).toEqual([])
    expect(await layerErrors('server/routes/checkin/checkin-routes.ts', code)).toHaveLength(1)
  })
})
