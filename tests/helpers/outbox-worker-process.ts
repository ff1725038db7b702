/**
 * A bare outbox worker in its own process, for the crash tests: it can be killed with
 * SIGKILL at any moment, as a real server can.
 * Usage: node --import tsx tests/helpers/outbox-worker-process.ts <sqlite file or postgres url> <smtp url, or - for none> <lease ms>
 * Texts: SMS_API_URL and SMS_API_TOKEN send them through GatewayAPI's REST API (the fake
 * one in tests), sender "Bibliotek", at any hour. KILL_BEFORE_SENDING=n makes the process
 * kill itself (SIGKILL) just before it marks its n-th message 'sending': a crash after a
 * message was claimed and before it was handed over.
 */
import { ColumnNode, ColumnUpdateNode, type KyselyPlugin, UpdateQueryNode, ValueNode } from 'kysely'
import { openDatabaseAt } from '../../server/db/connection.ts'
import { createGatewayApiTransport } from '../../server/mail/sms-transport.ts'
import { createSmtpTransport } from '../../server/mail/transport.ts'
import { OutboxWorker } from '../../server/mail/worker.ts'
import { repeat } from '../../server/plugins/repeat.ts'

const [file, smtpUrl, leaseMs] = process.argv.slice(2)
if (!file || !smtpUrl || !leaseMs) throw new Error('usage: outbox-worker-process.ts <sqlite file> <smtp url> <lease ms>')

/** True for the update that marks a message 'sending' (markSending). */
function marksSending (node: Parameters<KyselyPlugin['transformQuery']>[0]['node']): boolean {
  return UpdateQueryNode.is(node) && (node.updates ?? []).some(u => ColumnUpdateNode.is(u) && ColumnNode.is(u.column) &&
    u.column.column.name === 'status' && ValueNode.is(u.value) && u.value.value === 'sending')
}

/** Kills this process, as a crash would, just before the n-th message is marked 'sending'. */
function dieBeforeSending (n: number): KyselyPlugin {
  let seen = 0
  return {
    transformQuery ({ node }) {
      if (marksSending(node) && ++seen === n) process.kill(process.pid, 'SIGKILL')
      return node
    },
    async transformResult ({ result }) { return result }
  }
}

const killAt = Number(process.env.KILL_BEFORE_SENDING ?? 0)
const db = killAt > 0 ? openDatabaseAt(file).withPlugin(dieBeforeSending(killAt)) : openDatabaseAt(file)
const smsUrl = process.env.SMS_API_URL
const worker = new OutboxWorker({
  db,
  transport: smtpUrl === '-' ? null : createSmtpTransport(smtpUrl),
  from: 'Testbiblioteket <kurser@bib.test>',
  context: { publicUrl: 'http://kurser.test', organisationName: 'Testbiblioteket', contactPhone: '', contactEmail: '' },
  leaseMs: Number(leaseMs),
  sms: smsUrl
    ? {
        transport: createGatewayApiTransport({ url: smsUrl, token: process.env.SMS_API_TOKEN ?? '', sender: 'Bibliotek' }),
        quietHours: null,
        monthlyLimit: 0,
        context: { publicUrl: 'http://kurser.test', contactPhone: '', includeLink: false }
      }
    : undefined
})
const loop = repeat(async () => await worker.runOnce(), 50, () => {})
process.on('SIGTERM', () => { Promise.all([worker.stop(), loop.stop()]).then(() => process.exit(0), () => process.exit(1)) })
process.stdout.write('ready\n')
