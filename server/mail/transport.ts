import type { Readable } from 'node:stream'
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js'
import { parseConnectionUrl } from 'nodemailer/lib/shared/index.js'

/** Hands one finished message (raw MIME) to a mail server. */
export interface MailTransport {
  /** Resolves with the server's answer once it has accepted the message. */
  send (envelope: { from: string, to: string }, raw: Readable): Promise<{ response: string }>
}

/** An error the mail server answered with carries its code; network errors do not. */
export interface SmtpError extends Error {
  responseCode?: number
  command?: string
}

/**
 * SMTP with nodemailer's connection class, one connection per message and no pool or
 * retry of its own: the outbox decides about resending. The message stream is piped only
 * after the server has accepted MAIL FROM and RCPT TO, and the final dot is written only
 * when the stream ends, which lets the outbox mark the message just before that moment.
 */
export function createSmtpTransport (url: string): MailTransport {
  const options = parseConnectionUrl(url) as SMTPConnection.Options & { auth?: { user: string, pass: string } }
  const connectionOptions: SMTPConnection.Options = {
    ...options,
    connectionTimeout: 20_000,
    greetingTimeout: 20_000,
    socketTimeout: 60_000
  }
  return {
    async send (envelope, raw) {
      const connection = new SMTPConnection(connectionOptions)
      try {
        return await new Promise<{ response: string }>((resolve, reject) => {
          connection.once('error', reject)
          connection.connect(() => {
            const send = () => connection.send({ from: envelope.from, to: [envelope.to] }, raw, (error, info) => {
              if (error) reject(error)
              else resolve({ response: String(info.response ?? '') })
            })
            if (options.auth?.user) {
              connection.login({ user: options.auth.user, pass: options.auth.pass }, error => error ? reject(error) : send())
            } else {
              send()
            }
          })
        })
      } finally {
        connection.removeAllListeners('error')
        connection.on('error', () => {})
        connection.quit()
      }
    }
  }
}
