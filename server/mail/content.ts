import { formatCheckinCode } from '../domain/checkin-code.ts'
import { CONFIRMATION_DAYS } from '../domain/interest.ts'
import { formatDateTime } from '../domain/time.ts'
import { type BookingFacts, type ClassFacts, type MailMessage, addressLines, meetingLines, subjectOf, you } from './messages.ts'

/** What every e-mail may say about who sends it and how to reach them. */
export interface MailContext {
  publicUrl: string
  organisationName: string
  contactPhone: string
  contactEmail: string
  now: Date
}

/** The building blocks of an e-mail; rendered alike to HTML and to plain text. */
export type Block =
  | { type: 'p', text: string }
  | { type: 'strong', text: string }
  | { type: 'list', title: string, items: string[] }
  | { type: 'button', label: string, url: string }
  /** The check-in code, with its QR code beside it in the HTML part. */
  | { type: 'code', code: string, text: string }

export interface MailContent {
  subject: string
  /** The first line mail programs show in the inbox. */
  preheader: string
  greeting: string
  blocks: Block[]
  /** Why the reader gets this e-mail, and how to stop it where that applies. */
  footer: Block[]
}

const p = (text: string): Block => ({ type: 'p', text })

function hello (booking: BookingFacts): string {
  return `Hej ${booking.to === 'booker' && booking.bookerName ? booking.bookerName : booking.name}`
}

/** "du" or the participant's name, inside a sentence. */
function youIn (booking: BookingFacts): string {
  return booking.to === 'booker' ? booking.name : 'du'
}

function whenAndWhere (cls: ClassFacts, ctx: MailContext): Block[] {
  const meetings = meetingLines(cls, ctx.now)
  const blocks: Block[] = [
    { type: 'list', title: meetings.length > 1 ? `Holdet mødes ${meetings.length} gange` : 'Hvornår', items: meetings },
    { type: 'list', title: 'Hvor', items: addressLines(cls) }
  ]
  const access = [
    cls.stepFree ? 'Der er adgang uden trapper.' : 'Der er trapper. Ring til os, hvis du har brug for hjælp til at komme ind.',
    cls.hearingLoop ? 'Der er teleslynge i lokalet.' : ''
  ].filter(Boolean)
  if (access.length > 0) blocks.push(p(access.join(' ')))
  if (cls.note) blocks.push(p(cls.note))
  if (cls.bring.length > 0) blocks.push({ type: 'list', title: 'Tag med', items: cls.bring })
  return blocks
}

/** The code to show at the door, when the message has one. */
function doorCode (booking: BookingFacts): Block[] {
  if (!booking.checkinCode) return []
  const code = formatCheckinCode(booking.checkinCode)
  return [{ type: 'code', code, text: `Vis QR-koden ved døren, så bliver ${youIn(booking) === 'du' ? 'du' : booking.name} tjekket ind. Eller sig koden: ${code}.` }]
}

function bookingButton (booking: BookingFacts, ctx: MailContext): Block {
  return { type: 'button', label: 'Se eller afmeld tilmeldingen', url: `${ctx.publicUrl}/tilmelding/${booking.token}` }
}

function contactLine (ctx: MailContext): string {
  const ways = [ctx.contactPhone && `ring på ${ctx.contactPhone}`, ctx.contactEmail && `skriv til ${ctx.contactEmail}`].filter(Boolean)
  return ways.length > 0 ? `Har du spørgsmål, så ${ways.join(' eller ')}.` : ''
}

function bookingFooter (booking: BookingFacts, ctx: MailContext): Block[] {
  const why = booking.to === 'booker'
    ? `Du får denne e-mail, fordi du har tilmeldt ${booking.name} et kursus hos ${ctx.organisationName}.`
    : `Du får denne e-mail, fordi du er tilmeldt et kursus hos ${ctx.organisationName}.`
  return [p(why)]
}

/** A place on the waiting list is not a seat: the one thing not to get wrong. */
export function notUntilSeated (booking: Pick<BookingFacts, 'to' | 'name'>): string {
  return booking.to === 'booker'
    ? `${booking.name} skal ikke komme til holdet, før der er en plads til ${booking.name}.`
    : 'Kom ikke til holdet, før du har fået en plads.'
}

/** What a late or second answer to an offer is told, on the offer page's terms. */
export function offerReplySentence (outcome: 'too_late' | 'already_yours' | 'closed'): string {
  switch (outcome) {
    case 'too_late': return 'Fristen for at svare er desværre gået, og pladsen er gået videre. Du står stadig på ventelisten.'
    case 'already_yours': return 'Du har allerede pladsen. Vi ses!'
    case 'closed': return 'Tilbuddet om pladsen er ikke længere åbent.'
  }
}

const CALENDAR_NOTE = 'Kalenderfilen i e-mailen lægger tiderne i din kalender, hvis du åbner den.'

/** Turns a message into its words. Pure: the same message and context give the same e-mail. */
export function composeMail (message: MailMessage, ctx: MailContext): MailContent {
  const subject = subjectOf(message, ctx.now)
  const content = (preheader: string, greeting: string, blocks: Block[], footer: Block[]): MailContent => ({
    subject,
    preheader,
    greeting,
    blocks: [...blocks, ...(contactLine(ctx) ? [p(contactLine(ctx))] : [])],
    footer
  })

  switch (message.kind) {
    case 'booking_confirmed': {
      const { booking, cls } = message
      return content(
        `${you(booking)} har en plads på ${cls.courseTitle}.`,
        hello(booking),
        [
          { type: 'strong', text: `${you(booking)} har en plads på holdet «${cls.courseTitle}».` },
          ...whenAndWhere(cls, ctx),
          ...doorCode(booking),
          bookingButton(booking, ctx),
          p(`Kan ${youIn(booking)} ikke komme alligevel? Så afmeld gerne, så en anden kan få pladsen.`),
          p(CALENDAR_NOTE)
        ],
        bookingFooter(booking, ctx)
      )
    }
    case 'booking_waitlisted': {
      const { booking, cls } = message
      return content(
        `${you(booking)} er nr. ${message.waitlistNumber} på ventelisten.`,
        hello(booking),
        [
          { type: 'strong', text: `Holdet «${cls.courseTitle}» er fuldt. ${you(booking)} er nr. ${message.waitlistNumber} på ventelisten.` },
          p(cls.waitlistMode === 'call'
            ? 'Bliver der en plads ledig, ringer vi til dig. Du skal ikke gøre noget nu.'
            : cls.waitlistMode === 'offer'
              ? `Bliver der en plads ledig, når ${youIn(booking)} står først på ventelisten, skriver vi og tilbyder pladsen, med en frist til at svare. Du skal ikke gøre noget nu.`
              : `Bliver der en plads ledig, får ${youIn(booking)} den, og vi skriver til dig. Du skal ikke gøre noget nu.`),
          { type: 'strong', text: notUntilSeated(booking) },
          ...whenAndWhere(cls, ctx),
          { type: 'button', label: 'Se eller afmeld ventelisten', url: `${ctx.publicUrl}/tilmelding/${booking.token}` }
        ],
        bookingFooter(booking, ctx)
      )
    }
    case 'booking_promoted': {
      const { booking, cls } = message
      return content(
        `Der er blevet en plads ledig til ${youIn(booking)}.`,
        hello(booking),
        [
          { type: 'strong', text: `Godt nyt: ${you(booking)} har fået en plads på holdet «${cls.courseTitle}».` },
          p(`${you(booking)} stod på ventelisten, og nu er der blevet en plads ledig.`),
          ...whenAndWhere(cls, ctx),
          ...doorCode(booking),
          bookingButton(booking, ctx),
          p(`Kan ${youIn(booking)} ikke komme? Så afmeld gerne, så den næste på ventelisten kan få pladsen.`),
          p(CALENDAR_NOTE)
        ],
        bookingFooter(booking, ctx)
      )
    }
    case 'booking_cancelled': {
      const { booking, cls } = message
      return content(
        `${you(booking)} er afmeldt ${cls.courseTitle}.`,
        hello(booking),
        [
          { type: 'strong', text: `${you(booking)} er nu afmeldt holdet «${cls.courseTitle}».` },
          { type: 'list', title: 'Holdet', items: [...meetingLines(cls, ctx.now), cls.locationName] },
          p('Pladsen går nu videre til en anden.'),
          { type: 'button', label: 'Find et andet hold', url: `${ctx.publicUrl}/kurser/${cls.courseSlug}` }
        ],
        bookingFooter(booking, ctx)
      )
    }
    case 'booking_link': {
      const { booking, cls } = message
      const where = message.waitlistNumber === null
        ? `${you(booking)} har en plads på holdet.`
        : `${you(booking)} er nr. ${message.waitlistNumber} på ventelisten.`
      return content(
        `Her er linket til ${booking.to === 'booker' ? `${booking.name}s` : 'din'} tilmelding til ${cls.courseTitle}.`,
        hello(booking),
        [
          { type: 'strong', text: `${you(booking)} er allerede tilmeldt holdet «${cls.courseTitle}». ${where}` },
          p(`Nogen har prøvet at tilmelde ${youIn(booking) === 'du' ? 'dig' : booking.name} til holdet igen. Derfor sender vi linket til tilmeldingen igen. Du skal ikke gøre noget.`),
          ...whenAndWhere(cls, ctx),
          ...(message.waitlistNumber === null ? doorCode(booking) : []),
          bookingButton(booking, ctx),
          p('Var det ikke dig, kan du se bort fra denne e-mail. Tilmeldingen er ikke ændret.')
        ],
        bookingFooter(booking, ctx)
      )
    }
    case 'class_changed': {
      const { booking, cls, before } = message
      return content(
        `Holdet ${cls.courseTitle} er ændret. Se de nye tider og stedet.`,
        hello(booking),
        [
          { type: 'strong', text: `Vi har ændret holdet «${cls.courseTitle}». Læs de nye oplysninger her.` },
          ...whenAndWhere(cls, ctx),
          { type: 'list', title: 'Før ændringen', items: [...meetingLines(before, ctx.now), addressLines(before).join(', ')] },
          p(`${you(booking)} har stadig ${booking.to === 'booker' ? 'sin' : 'din'} tilmelding. Passer de nye tider ikke, så afmeld gerne.`),
          ...(message.waitlisted === true ? [p(notUntilSeated(booking))] : []),
          bookingButton(booking, ctx),
          p('Kalenderfilen i e-mailen har de nye tider.')
        ],
        bookingFooter(booking, ctx)
      )
    }
    case 'class_cancelled': {
      const { booking, cls } = message
      return content(
        `Holdet ${cls.courseTitle} er aflyst.`,
        hello(booking),
        [
          { type: 'strong', text: `Vi har desværre aflyst holdet «${cls.courseTitle}».` },
          { type: 'list', title: 'Det aflyste hold', items: [...meetingLines(cls, ctx.now), cls.locationName] },
          p(`Undskyld ulejligheden. ${you(booking)} skal ikke gøre noget.`),
          p('Kalenderfilen i e-mailen fjerner holdet fra din kalender, hvis du åbner den.'),
          { type: 'button', label: 'Find et andet hold', url: `${ctx.publicUrl}/kurser/${cls.courseSlug}` }
        ],
        bookingFooter(booking, ctx)
      )
    }
    case 'reminder': {
      const { booking, cls } = message
      const meeting = cls.meetings.find(m => m.id === message.meetingId)
      const index = cls.meetings.findIndex(m => m.id === message.meetingId)
      const when = meeting ? formatDateTime(meeting.starts_at, ctx.now) : ''
      const which = cls.meetings.length > 1 ? ` (${index + 1}. gang af ${cls.meetings.length})` : ''
      return content(
        `Husk: ${cls.courseTitle} ${when}.`,
        hello(booking),
        [
          { type: 'strong', text: `Husk ${booking.to === 'booker' ? `at ${booking.name} skal` : 'at du skal'} på kursus ${when}${which}.` },
          p(`Kurset er «${cls.courseTitle}».`),
          { type: 'list', title: 'Hvor', items: addressLines(cls) },
          ...(cls.bring.length > 0 ? [{ type: 'list', title: 'Tag med', items: cls.bring } as Block] : []),
          ...doorCode(booking),
          p(`Kan ${youIn(booking)} ikke komme? Så afmeld gerne, så en anden kan få pladsen.`),
          bookingButton(booking, ctx)
        ],
        bookingFooter(booking, ctx)
      )
    }
    case 'thank_you': {
      const { booking, cls, next } = message
      return content(
        `Tak fordi ${youIn(booking)} var med på ${cls.courseTitle}.`,
        hello(booking),
        [
          { type: 'strong', text: `Tak fordi ${youIn(booking)} var med på «${cls.courseTitle}».` },
          p('Vi håber, kurset var nyttigt. Øv dig gerne derhjemme, så husker du det bedre.'),
          ...(next.length > 0
            ? [
                { type: 'list', title: 'Et godt næste kursus', items: next.map(n => n.title) } as Block,
                ...next.map(n => ({ type: 'button', label: `Se hold: ${n.title}`, url: `${ctx.publicUrl}/kurser/${n.slug}` }) as Block)
              ]
            : [{ type: 'button', label: 'Se alle kurser', url: `${ctx.publicUrl}/` } as Block])
        ],
        bookingFooter(booking, ctx)
      )
    }
    case 'interest_confirm':
      return content(
        `Tryk på knappen for at få besked om nye hold i ${message.courseTitle}.`,
        'Hej',
        [
          { type: 'strong', text: `Tryk på knappen for at få besked, når der er et nyt hold i «${message.courseTitle}».` },
          { type: 'button', label: 'Ja, giv mig besked', url: `${ctx.publicUrl}/interesse/bekraeft/${message.confirmToken}` },
          p(`Linket virker i ${CONFIRMATION_DAYS} dage. Du er ikke tilmeldt et hold endnu.`)
        ],
        [p('Har du ikke bedt om det, skal du ikke gøre noget. Så får du ikke flere e-mails fra os om det.')]
      )
    case 'interest_signed_up': {
      const unsubscribe = `${ctx.publicUrl}/interesse/afmeld/${message.unsubscribeToken}`
      return content(
        `Vi skriver, når der er et nyt hold i ${message.courseTitle}.`,
        'Hej',
        [
          { type: 'strong', text: `Vi skriver til dig, når der er et nyt hold i «${message.courseTitle}».` },
          p('Du får en e-mail, når der kommer nye hold. Du er ikke tilmeldt et hold endnu.'),
          { type: 'button', label: 'Se kurset', url: `${ctx.publicUrl}/kurser/${message.courseSlug}` }
        ],
        [p('Har du ikke bedt om det, eller vil du ikke have flere e-mails, så afmeld dig her.'), { type: 'button', label: 'Afmeld', url: unsubscribe }]
      )
    }
    case 'interest_new_classes': {
      const unsubscribe = `${ctx.publicUrl}/interesse/afmeld/${message.unsubscribeToken}`
      const one = message.classes.length === 1
      return content(
        one ? `Der er et nyt hold i ${message.courseTitle}.` : `Der er ${message.classes.length} nye hold i ${message.courseTitle}.`,
        'Hej',
        [
          { type: 'strong', text: one ? `Der er et nyt hold i «${message.courseTitle}».` : `Der er ${message.classes.length} nye hold i «${message.courseTitle}».` },
          ...message.classes.map(c => ({ type: 'list', title: c.locationName, items: meetingLines(c, ctx.now) }) as Block),
          p('Der er et begrænset antal pladser. Tilmeld dig på hjemmesiden, eller ring til os.'),
          ...message.classes.map(c => ({ type: 'button', label: `Tilmeld: ${meetingLines(c, ctx.now)[0] ?? c.locationName}`, url: `${ctx.publicUrl}/hold/${c.id}` }) as Block)
        ],
        [p('Du får denne e-mail, fordi du har bedt om besked om nye hold.'), { type: 'button', label: 'Afmeld', url: unsubscribe }]
      )
    }
    case 'milestone':
      return content(
        `Deltager nr. ${message.number.toLocaleString('da-DK')} er lige blevet tjekket ind.`,
        'Hej',
        [
          { type: 'strong', text: `${message.participantName} er lige blevet deltager nr. ${message.number.toLocaleString('da-DK')} (${message.scope}).` },
          { type: 'list', title: 'Hvor og hvornår', items: [message.courseTitle, message.locationName, formatDateTime(message.at, ctx.now)] },
          p('Måske er der tid til en blomst og et billede?')
        ],
        [p(`Du får denne e-mail, fordi du er projektleder hos ${ctx.organisationName}.`)]
      )
    case 'milestone_undone':
      return content(
        `Tjek-ind af deltager nr. ${message.number.toLocaleString('da-DK')} blev fortrudt.`,
        'Hej',
        [
          { type: 'strong', text: `Tjek-ind af ${message.participantName} som deltager nr. ${message.number.toLocaleString('da-DK')} (${message.scope}) blev fortrudt ${formatDateTime(message.at, ctx.now)}.` },
          p(`Nr. ${message.number.toLocaleString('da-DK')} går til den, der nu er nr. ${message.number.toLocaleString('da-DK')}. Du får en ny e-mail om, hvem det er.`)
        ],
        [p(`Du får denne e-mail, fordi du er projektleder hos ${ctx.organisationName}.`)]
      )
    case 'staff_invitation':
      return content(
        `${message.invitedBy} har inviteret dig som ${message.roleLabel.toLowerCase()}.`,
        `Hej ${message.name}`,
        [
          { type: 'strong', text: `${message.invitedBy} har inviteret dig som ${message.roleLabel.toLowerCase()} i ${ctx.organisationName}s kursussystem.` },
          p('Klik på knappen og vælg din egen adgangskode. Så kan du logge ind.'),
          { type: 'button', label: 'Vælg adgangskode', url: `${ctx.publicUrl}/personale/invitation/${message.inviteToken}` },
          p(`Linket virker til ${formatDateTime(message.expiresAt, ctx.now)}. Derefter må du bede om et nyt.`)
        ],
        [p('Har du ikke ventet denne e-mail, kan du se bort fra den.')]
      )
    case 'class_message': {
      const { booking, cls } = message
      return content(
        `Besked om ${cls.courseTitle}: ${message.text}`,
        hello(booking),
        [
          { type: 'strong', text: message.text },
          p(`Beskeden er fra ${message.from} og handler om kurset «${cls.courseTitle}».`),
          { type: 'list', title: 'Holdet', items: [...meetingLines(cls, ctx.now), ...addressLines(cls)] },
          bookingButton(booking, ctx)
        ],
        bookingFooter(booking, ctx)
      )
    }
    case 'coming_request':
    case 'coming_reminder': {
      const { booking, cls } = message
      const first = cls.meetings[0]
      const when = first ? formatDateTime(first.starts_at, ctx.now) : ''
      const answerUrl = `${ctx.publicUrl}/tilmelding/${booking.token}#kommer`
      return content(
        message.kind === 'coming_request' ? `Svar ja eller nej: kommer ${youIn(booking)} til ${cls.courseTitle}?` : `Husk at svare: kommer ${youIn(booking)} til ${cls.courseTitle}?`,
        hello(booking),
        [
          { type: 'strong', text: `Kommer ${youIn(booking)} til «${cls.courseTitle}» ${when}?` },
          p(message.kind === 'coming_request'
            ? 'Svar ja eller nej, så ved vi, hvem der kommer. Kan du ikke komme, får en anden pladsen.'
            : 'Vi har ikke fået dit svar endnu. Svar ja eller nej, så ved vi, hvem der kommer.'),
          ...(message.releaseAt ? [{ type: 'strong', text: `Svarer du ikke inden ${formatDateTime(message.releaseAt, ctx.now)}, går pladsen videre til en anden.` } as Block] : []),
          { type: 'button', label: 'Ja, jeg kommer', url: answerUrl },
          { type: 'button', label: 'Nej, jeg kan ikke', url: answerUrl },
          p('Knapperne åbner din tilmelding. Dér trykker du på dit svar. Får du også sms fra os, kan du svare JA eller NEJ på den.'),
          ...whenAndWhere(cls, ctx)
        ],
        bookingFooter(booking, ctx)
      )
    }
    case 'coming_released': {
      const { booking, cls } = message
      return content(
        `${you(booking)} har ikke længere en plads på ${cls.courseTitle}.`,
        hello(booking),
        [
          { type: 'strong', text: `Vi spurgte, om ${youIn(booking)} kommer til «${cls.courseTitle}», men fik ikke svar inden ${formatDateTime(message.releaseAt, ctx.now)}. Derfor er pladsen gået videre til en anden.` },
          { type: 'list', title: 'Holdet', items: [...meetingLines(cls, ctx.now), cls.locationName] },
          p('Var det en fejl, så ring eller skriv til os. Du er også velkommen på et andet hold.'),
          { type: 'button', label: 'Find et andet hold', url: `${ctx.publicUrl}/kurser/${cls.courseSlug}` }
        ],
        bookingFooter(booking, ctx)
      )
    }
    case 'sms_stopped':
    case 'sms_started':
      // Texts only; never queued as e-mail.
      return content(subjectOf(message, ctx.now), 'Hej', [], [])
    case 'seat_offer': {
      const { booking, cls } = message
      const deadline = formatDateTime(message.deadline, ctx.now)
      return content(
        `Vil ${youIn(booking)} have pladsen? Svar inden ${deadline}.`,
        hello(booking),
        [
          { type: 'strong', text: `Der er blevet en plads ledig på holdet «${cls.courseTitle}». Vil ${youIn(booking)} have den?` },
          p(`Svar inden ${deadline}. Svarer ${youIn(booking)} ikke, går pladsen videre til den næste på ventelisten, og ${youIn(booking)} bliver stående på ventelisten.`),
          { type: 'button', label: 'Ja, jeg kommer / Nej tak', url: `${ctx.publicUrl}/tilbud/${message.offerToken}` },
          p('Har du fået en sms om pladsen, kan du også svare JA eller NEJ på den.'),
          { type: 'strong', text: notUntilSeated(booking) },
          ...whenAndWhere(cls, ctx)
        ],
        bookingFooter(booking, ctx)
      )
    }
    case 'offer_declined': {
      const { booking, cls } = message
      return content(
        `${you(booking)} er taget af ventelisten.`,
        hello(booking),
        [
          { type: 'strong', text: `Tak for svaret. ${you(booking)} har sagt nej tak til pladsen og er taget af ventelisten til holdet «${cls.courseTitle}».` },
          p('Pladsen går videre til den næste på ventelisten.'),
          { type: 'list', title: 'Holdet', items: [...meetingLines(cls, ctx.now), ...addressLines(cls)] }
        ],
        bookingFooter(booking, ctx)
      )
    }
    case 'offer_reply': {
      // Texts only; an e-mail shows the same words.
      const { booking } = message
      return content(subjectOf(message, ctx.now), hello(booking), [p(offerReplySentence(message.outcome))], bookingFooter(booking, ctx))
    }
  }
}
