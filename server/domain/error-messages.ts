import type { DomainErrorCode } from './errors.ts'

/**
 * The one Danish message table: for each rule a user can run into, the HTTP status, the
 * page title and the message. The error handler, the routes and the API all read it here.
 */
export const DOMAIN_MESSAGES: Record<DomainErrorCode, { status: number, title: string, message: string }> = {
  class_not_found: { status: 404, title: 'Holdet findes ikke', message: 'Vi kan ikke finde det hold. Måske er linket forkert.' },
  class_cancelled: { status: 409, title: 'Holdet er aflyst', message: 'Holdet er aflyst, så du kan ikke tilmelde dig. Se andre hold i oversigten.' },
  class_started: { status: 409, title: 'Holdet er begyndt', message: 'Holdet er allerede begyndt, så du kan ikke tilmelde dig online. Se de kommende hold i oversigten.' },
  class_not_public: { status: 404, title: 'Holdet findes ikke', message: 'Vi kan ikke finde det hold. Måske er linket forkert.' },
  booking_not_found: { status: 404, title: 'Tilmeldingen findes ikke', message: 'Vi kan ikke finde tilmeldingen. Tjek, at du har hele linket med.' },
  booking_already_cancelled: { status: 409, title: 'Tilmeldingen er allerede afmeldt', message: 'Tilmeldingen er allerede afmeldt.' },
  booking_moved: { status: 409, title: 'Tilmeldingen er flyttet', message: 'Tilmeldingen er flyttet til et andet hold, så den er ikke afmeldt. Afmeld den på det nye hold, hvis det er meningen.' },
  class_ended: { status: 409, title: 'Holdet er slut', message: 'Holdet er slut, så tilmeldingen kan ikke længere afmeldes eller flyttes.' },
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
  code_not_found: { status: 404, title: 'Ukendt kode', message: 'Koden findes ikke på dette hold. Tjek koden, eller find personen på listen.' },
  participant_anonymised: { status: 409, title: 'Oplysningerne er slettet', message: 'Personens oplysninger er slettet, så personen kan ikke slås sammen med en anden.' },
  checkin_key_reused: { status: 409, title: 'Allerede brugt', message: 'Handlingen kunne ikke gennemføres. Genindlæs siden, og prøv igen.' },
  walkin_class_full: { status: 409, title: 'Holdet er fuldt', message: 'Holdet er fuldt. Kun en projektleder kan give plads ud over antallet af pladser.' },
  booking_limit_address: { status: 429, title: 'Mange tilmeldinger', message: 'Der er lavet mange tilmeldinger fra denne computer eller dette netværk på kort tid, så vi kan ikke tage imod flere lige nu. Ring til os, eller spørg på biblioteket, så hjælper vi dig med tilmeldingen.' },
  booking_limit_class: { status: 429, title: 'Mange tilmeldinger', message: 'Der er lavet mange tilmeldinger til dette hold fra denne computer eller dette netværk på kort tid, så vi kan ikke tage imod flere lige nu. Ring til os, eller spørg på biblioteket, så hjælper vi dig med tilmeldingen.' },
  booking_limit_booker: { status: 429, title: 'Mange tilmeldinger', message: 'Du har allerede tilmeldt mange personer til dette hold. Ring til os, eller spørg på biblioteket, hvis du vil tilmelde flere.' },
  class_full: { status: 409, title: 'Ingen ledig plads', message: 'Der er ingen ledig plads lige nu. Personen bliver stående på ventelisten.' },
  class_changed: { status: 409, title: 'Holdet er ændret', message: 'Holdet er ændret, siden du åbnede siden. Se holdet, som det er nu, og ret det igen.' },
  meeting_has_attendance: { status: 409, title: 'Der er fremmøde', message: 'Der er registreret fremmøde på en mødegang, så den kan ikke fjernes. Ret fremmødet først.' },
  meeting_not_on_class: { status: 409, title: 'Mødegangen findes ikke', message: 'En af mødegangene hører ikke til holdet, eller den er fjernet. Genindlæs siden, og prøv igen.' },
  capacity_below_seats_taken: { status: 409, title: 'For få pladser', message: 'Der er flere med en plads, end det nye antal pladser. Vælg mindst så mange pladser, eller vælg udtrykkeligt at sætte pladserne ned.' },
  email_taken: { status: 409, title: 'E-mailen er i brug', message: 'Der findes allerede en bruger med den e-mail.' },
  setup_done: { status: 409, title: 'Allerede sat op', message: 'Der er allerede oprettet en administrator. Log ind med din e-mail og adgangskode.' }
}

/**
 * A form posted without a valid CSRF token, mostly a page left open until the session behind
 * its token was gone (the browser dropped the cookie, or was closed and opened again). One
 * message for every form; where the form is shown again, what was typed stays in it.
 */
export const STALE_FORM = { status: 403, title: 'Ikke gemt', message: 'Siden har været åben for længe, så vi har ikke gemt noget. Prøv igen.' }
