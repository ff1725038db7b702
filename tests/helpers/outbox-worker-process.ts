/**
 * A bare outbox worker in its own process, for the crash test: it can be killed with
 * SIGKILL at any moment, as a real server can.
 * Usage: node --import tsx tests/helpers/outbox-worker-process.ts <sqlite file or postgres url> <smtp url> <lease ms>
 */
import { openDatabaseAt } from '../../server/db/connection.ts'
import { createSmtpTransport } from '../../server/mail/transport.ts'
import { OutboxWorker } from '../../server/mail/worker.ts'
import { repeat } from '../../server/plugins/repeat.ts'

const [file, smtpUrl, leaseMs] = process.argv.slice(2)
if (!file || !smtpUrl || !leaseMs) throw new Error('usage: outbox-worker-process.ts <sqlite file> <smtp url> <lease ms>')
const worker = new OutboxWorker({
  db: openDatabaseAt(file),
  transport: createSmtpTransport(smtpUrl),
  from: 'Testbiblioteket <kurser@bib.test>',
  context: { publicUrl: 'http://kurser.test', organisationName: 'Testbiblioteket', contactPhone: '', contactEmail: '' },
  leaseMs: Number(leaseMs)
})
const loop = repeat(async () => await worker.runOnce(), 50, () => {})
process.on('SIGTERM', () => { Promise.all([worker.stop(), loop.stop()]).then(() => process.exit(0), () => process.exit(1)) })
process.stdout.write('ready\n')
