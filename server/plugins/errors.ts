import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { DomainError, type DomainErrorCode } from '../domain/errors.ts'

/** Danish messages for the rules a citizen can run into. */
export const DOMAIN_MESSAGES: Record<DomainErrorCode, { status: number, title: string, message: string }> = {
  class_not_found: { status: 404, title: 'Holdet findes ikke', message: 'Vi kan ikke finde det hold. Måske er linket forkert.' },
  class_cancelled: { status: 409, title: 'Holdet er aflyst', message: 'Holdet er aflyst, så du kan ikke tilmelde dig. Se andre hold i oversigten.' },
  class_started: { status: 409, title: 'Holdet er begyndt', message: 'Holdet er allerede begyndt, så du kan ikke tilmelde dig online. Se de kommende hold i oversigten.' },
  class_not_public: { status: 404, title: 'Holdet findes ikke', message: 'Vi kan ikke finde det hold. Måske er linket forkert.' },
  booking_not_found: { status: 404, title: 'Tilmeldingen findes ikke', message: 'Vi kan ikke finde tilmeldingen. Tjek, at du har hele linket med.' },
  booking_already_cancelled: { status: 409, title: 'Tilmeldingen er allerede afmeldt', message: 'Tilmeldingen er allerede afmeldt.' },
  booking_not_waiting: { status: 409, title: 'Ikke på ventelisten', message: 'Personen står ikke længere på ventelisten. Siden er opdateret.' },
  same_participant: { status: 409, title: 'Samme deltager', message: 'Vælg en anden deltager at slå sammen med.' },
  participant_not_found: { status: 404, title: 'Deltageren findes ikke', message: 'Vi kan ikke finde deltageren.' },
  merge_conflict: { status: 409, title: 'Kan ikke slås sammen', message: 'Begge har en tilmelding til det samme hold. Afmeld den ene tilmelding først.' },
  same_class: { status: 409, title: 'Samme hold', message: 'Tilmeldingen er allerede på det hold. Vælg et andet hold.' },
  course_not_found: { status: 404, title: 'Kurset findes ikke', message: 'Vi kan ikke finde det kursus. Måske er linket forkert.' },
  meeting_not_found: { status: 404, title: 'Mødegangen findes ikke', message: 'Vi kan ikke finde den mødegang. Gå tilbage til listen over dagens hold.' },
  not_checkin_day: { status: 409, title: 'Ikke i dag', message: 'Der kan kun tjekkes ind på selve dagen. Bagefter kan en projektleder rette fremmødet.' },
  meeting_not_started: { status: 409, title: 'Ikke begyndt endnu', message: 'Mødegangen er ikke begyndt endnu, så fremmødet kan ikke rettes.' },
  booking_not_on_class: { status: 404, title: 'Ikke på holdet', message: 'Personen er ikke tilmeldt dette hold.' },
  booking_cancelled: { status: 409, title: 'Afmeldt', message: 'Personen har meldt fra. Brug »Ny deltager ved døren«, hvis personen er kommet alligevel.' },
  code_not_found: { status: 404, title: 'Ukendt kode', message: 'Koden passer ikke til nogen på dette hold. Tjek koden, eller find personen på listen.' },
  participant_anonymised: { status: 409, title: 'Oplysningerne er slettet', message: 'Personens oplysninger er slettet, så personen kan ikke slås sammen med en anden.' },
  checkin_key_reused: { status: 409, title: 'Allerede brugt', message: 'Handlingen kunne ikke gennemføres. Genindlæs siden, og prøv igen.' },
  walkin_class_full: { status: 409, title: 'Holdet er fuldt', message: 'Holdet er fuldt. Kun en projektleder kan give plads ud over antallet af pladser.' },
  class_full: { status: 409, title: 'Ingen ledig plads', message: 'Der er ingen ledig plads lige nu. Personen bliver stående på ventelisten.' }
}

const isApi = (request: FastifyRequest) => request.url.startsWith('/api/')

function codeFor (status: number): string {
  return ({ 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 413: 'too_large', 415: 'unsupported_media_type', 429: 'rate_limited' } as Record<number, string>)[status] ?? (status >= 500 ? 'internal_error' : 'error')
}

/** API errors are JSON with a machine code; pages are Danish HTML in the site's look. */
async function renderError (request: FastifyRequest, reply: FastifyReply, status: number, title: string, message: string, code = codeFor(status), details?: unknown) {
  reply.code(status).header('cache-control', 'no-store')
  if (isApi(request)) return await reply.send({ error: { status, code, message, ...(details === undefined ? {} : { details }) } })
  try {
    return await reply.viewAsync('errors/error', { title, message, status })
  } catch (error) {
    request.log.error({ err: error }, 'error page could not be rendered')
    return await reply.type('text/plain; charset=utf-8').send(`${title}\n\n${message}`)
  }
}

/**
 * One error handler: rules broken and 4xx show their Danish message; 5xx show a calm
 * page and log the detail. Never a stack trace to a browser.
 */
declare module 'fastify' {
  interface FastifyReply {
    /** The answer to a form posted without a valid CSRF token: 403 and a calm Danish page. */
    staleForm: () => Promise<unknown>
  }
}

export default fp(async (fastify) => {
  fastify.decorateReply('staleForm', async function (this: FastifyReply) {
    return await renderError(this.request, this, 403, 'Siden var for gammel',
      'Siden har været åben for længe, eller din browser har slettet en cookie, så vi har ikke gemt noget. Gå tilbage, genindlæs siden, og prøv igen.', 'csrf')
  })
  fastify.setNotFoundHandler(async (request, reply) => {
    return await renderError(request, reply, 404, 'Siden findes ikke',
      'Vi kan ikke finde den side, du leder efter. Måske er linket forkert, eller siden er flyttet.')
  })

  fastify.setErrorHandler(async (error: Error & { statusCode?: number, code?: string, validation?: unknown }, request, reply) => {
    if (error instanceof DomainError) {
      const m = DOMAIN_MESSAGES[error.code]
      return await renderError(request, reply, m.status, m.title, m.message, error.code)
    }
    const status = error.statusCode ?? 500
    if (error.validation !== undefined && isApi(request)) {
      // The message is Danish; the machine-readable details (field and rule) follow it.
      return await renderError(request, reply, 400, 'Ugyldig forespørgsel', `Forespørgslen er ugyldig: ${error.message}. Se "details" for, hvilke felter der er forkerte.`, 'validation_error', error.validation)
    }
    if (status === 429) {
      return await renderError(request, reply, 429, 'Vent lidt', error.message)
    }
    if (status === 403 && error.code?.startsWith('FST_CSRF')) {
      return await renderError(request, reply, 403, 'Siden var for gammel',
        'Siden har været åben for længe, eller din browser har slettet en cookie. Gå tilbage, genindlæs siden, og prøv igen.')
    }
    if (error.code === 'invalid_utf8') {
      return await renderError(request, reply, 400, 'Ugyldige tegn',
        'Vi kan ikke læse teksten, fordi den ikke er gyldig UTF-8. Send den igen som UTF-8.', 'invalid_utf8')
    }
    if (status === 413) {
      return await renderError(request, reply, 413, 'For meget tekst', 'Du har skrevet mere tekst, end vi kan modtage. Skriv kortere, og prøv igen.')
    }
    if (status >= 400 && status < 500) {
      request.log.info({ code: error.code, status }, 'client error')
      return await renderError(request, reply, status, 'Noget gik galt',
        'Vi kunne ikke forstå det, din browser sendte. Gå tilbage, og prøv igen.')
    }
    request.log.error({ err: error }, 'unhandled error')
    return await renderError(request, reply, 500, 'Der skete en fejl',
      'Der skete en fejl hos os. Det er ikke din skyld. Prøv igen om lidt.')
  })
}, { name: 'errors', fastify: '5.x', dependencies: ['view'] })
