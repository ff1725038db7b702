/** Hands one text to an SMS provider. */
export interface SmsTransport {
  /**
   * Sends `message` to one MSISDN ("4512345678"). Resolves with the provider's id of the
   * text once the provider has taken it. `reference` comes back in delivery reports.
   */
  send (text: { msisdn: string, message: string, reference: string }): Promise<{ providerId: string }>
}

/**
 * Why a text was not taken. `status` is the provider's HTTP status (absent when no answer
 * came: the connection failed or timed out). `requestSent` tells whether the request may
 * have reached the provider.
 */
export class SmsSendError extends Error {
  override name = 'SmsSendError'
  constructor (message: string, readonly status?: number, readonly requestSent = true) {
    super(message)
  }

  /** Worth trying again later: the provider was busy (429), failing (5xx) or silent. */
  get temporary (): boolean {
    return this.status === undefined || this.status === 429 || this.status >= 500
  }
}

export interface GatewayApiOptions {
  /** https://gatewayapi.com (or .eu); in tests the fake gateway on 127.0.0.1. */
  url: string
  token: string
  sender: string
  /** How long to wait for an answer; default 20 s. */
  timeoutMs?: number
}

/**
 * GatewayAPI's REST API (https://gatewayapi.com/docs/apis/rest/): POST /rest/mtsms with a
 * JSON body and the API token in the Authorization header; 200 answers with the ids of the
 * texts it took, 4xx and 5xx with a JSON body whose `message` says why. One recipient per
 * request, so that each outbox row has its own id and its own fate.
 */
export function createGatewayApiTransport (opts: GatewayApiOptions): SmsTransport {
  const endpoint = `${opts.url.replace(/\/$/, '')}/rest/mtsms`
  const timeoutMs = opts.timeoutMs ?? 20_000
  return {
    async send ({ msisdn, message, reference }) {
      let response: Response
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          headers: {
            authorization: `Token ${opts.token}`,
            'content-type': 'application/json',
            accept: 'application/json'
          },
          body: JSON.stringify({
            sender: opts.sender,
            message,
            recipients: [{ msisdn: Number(msisdn) }],
            userref: reference
          }),
          signal: AbortSignal.timeout(timeoutMs)
        })
      } catch (caught) {
        const error = caught as Error & { cause?: { code?: string } }
        const code = error.cause?.code ?? ''
        // Refused or unresolved: the request never left; a time-out: it may have.
        const neverSent = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)
        const what = error.name === 'TimeoutError' ? `Intet svar fra sms-udbyderen inden for ${Math.round(timeoutMs / 1000)} sekunder` : `Kunne ikke nå sms-udbyderen (${code || error.message})`
        throw new SmsSendError(what, undefined, !neverSent)
      }
      const body = await response.text().catch(() => '')
      if (!response.ok) {
        throw new SmsSendError(`${response.status} ${providerMessage(body) ?? response.statusText}`.trim(), response.status)
      }
      let ids: unknown
      try {
        ids = (JSON.parse(body) as { ids?: unknown }).ids
      } catch {
        ids = undefined
      }
      const first = Array.isArray(ids) ? ids[0] : undefined
      return { providerId: first === undefined ? '' : String(first) }
    }
  }
}

/** The provider's own words from an error body: `{ "message": "…" }`, else the body itself, short. */
function providerMessage (body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: unknown, code?: unknown }
    if (typeof parsed.message === 'string') return parsed.code ? `${parsed.message} (${String(parsed.code)})` : parsed.message
  } catch {}
  const text = body.replace(/\s+/g, ' ').trim()
  return text === '' ? undefined : text.slice(0, 200)
}
