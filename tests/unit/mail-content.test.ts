import { describe, expect, it } from 'vitest'
import type { ClassFacts, MailMessage } from '../../server/mail/messages.ts'
import { renderMail } from '../../server/mail/render.ts'

const ctx = { publicUrl: 'https://kurser.bib.dk', organisationName: 'Horsens Bibliotek', contactPhone: '76 29 23 00', contactEmail: 'kurser@horsens.dk', now: new Date('2030-01-10T10:00:00Z') }
const cls: ClassFacts = {
  id: 7,
  courseSlug: 'mitid-appen',
  courseTitle: 'MitID-appen <trin for trin>',
  locationName: 'Horsens Bibliotek',
  room: 'Salen',
  street: 'Tobaksgården 12',
  postalCode: '8700',
  city: 'Horsens',
  stepFree: true,
  hearingLoop: true,
  note: null,
  bring: ['Din telefon'],
  meetings: [{ id: 1, starts_at: '2030-03-05T09:00:00.000Z', ends_at: '2030-03-05T11:00:00.000Z' }]
}
const booking = { id: 3, token: 'tok_abcdefghijklmnopqrstu', name: 'Grethe', bookerName: null, to: 'participant' as const }

const all: MailMessage[] = [
  { kind: 'booking_confirmed', booking, cls },
  { kind: 'booking_waitlisted', booking, cls, waitlistNumber: 2 },
  { kind: 'booking_promoted', booking, cls },
  { kind: 'booking_cancelled', booking, cls },
  { kind: 'class_changed', booking, cls, before: cls },
  { kind: 'class_cancelled', booking, cls },
  { kind: 'reminder', booking, cls, meetingId: 1 },
  { kind: 'thank_you', booking, cls, next: [{ slug: 'digital-post', title: 'Digital Post' }] },
  { kind: 'interest_signed_up', courseSlug: 'mitid-appen', courseTitle: 'MitID-appen', unsubscribeToken: 'unsub_abcdefghijklmnopq' },
  { kind: 'interest_new_classes', courseSlug: 'mitid-appen', courseTitle: 'MitID-appen', classes: [cls], unsubscribeToken: 'unsub_abcdefghijklmnopq' },
  { kind: 'milestone', number: 3000, scope: 'i alt', participantName: 'Karen Jensen', courseTitle: 'MitID-appen', locationName: 'Horsens Bibliotek', at: '2030-03-05T09:05:00.000Z' },
  { kind: 'milestone_undone', number: 3000, scope: 'i alt', participantName: 'Karen Jensen', at: '2030-03-05T09:06:00.000Z' },
  { kind: 'staff_invitation', name: 'Frida', roleLabel: 'Frivillig', invitedBy: 'Lene Leder', inviteToken: 'inv_abcdefghijklmnopqrst', expiresAt: '2030-01-17T10:00:00.000Z' }
]

describe('e-mail content', async () => {
  it('renders every kind in HTML and text with the organisation, escaped, in Danish', async () => {
    for (const message of all) {
      const mail = await renderMail(message, ctx)
      expect(mail.subject.length, message.kind).toBeGreaterThan(10)
      expect(mail.text, message.kind).toContain('Horsens Bibliotek')
      expect(mail.html, message.kind).toContain('<html lang="da">')
      expect(mail.html, message.kind).not.toContain('<trin for trin>')
      if ('cls' in message) expect(mail.text, message.kind).toContain('ring på 76 29 23 00')
    }
  })

  it('says the date the Danish way and links to the private booking page', async () => {
    const mail = await renderMail(all[6]!, ctx)
    expect(mail.subject).toBe('Påmindelse: MitID-appen <trin for trin>, tirsdag 5. marts kl. 10.00')
    expect(mail.text).toContain('Husk at du skal på kursus tirsdag 5. marts kl. 10.00.')
    expect(mail.text).toContain('https://kurser.bib.dk/tilmelding/tok_abcdefghijklmnopqrstu')
    expect(mail.attachments).toEqual([])
  })

  it('tells someone on the waiting list not to come until they have been given a seat', async () => {
    const own = await renderMail({ kind: 'booking_waitlisted', booking, cls, waitlistNumber: 2 }, ctx)
    expect(own.text).toContain('Kom ikke til holdet, før du har fået en plads.')
    const forMother = await renderMail({ kind: 'booking_waitlisted', booking: { ...booking, bookerName: 'Lise', to: 'booker' }, cls, waitlistNumber: 2 }, ctx)
    expect(forMother.text).toContain('Grethe skal ikke komme til holdet, før der er en plads til Grethe.')
    expect(own.attachments.map(a => a.filename)).not.toContain('kursus.ics')
    // A changed class: the waiting list's calendar file stays tentative, a seat's is confirmed.
    const changed = await renderMail({ kind: 'class_changed', booking, cls, before: cls, waitlisted: true }, ctx)
    expect(changed.text).toContain('Kom ikke til holdet, før du har fået en plads.')
    const ics = String(changed.attachments.find(a => a.filename === 'kursus.ics')?.content)
    expect(ics).toContain('STATUS:TENTATIVE')
    expect(ics).toContain('SUMMARY:Venteliste: ')
    const seat = await renderMail({ kind: 'class_changed', booking, cls, before: cls, waitlisted: false }, ctx)
    expect(String(seat.attachments.find(a => a.filename === 'kursus.ics')?.content)).toContain('STATUS:CONFIRMED')
    expect(seat.text).not.toContain('Kom ikke til holdet')
  })

  it('writes to the person who booked for someone else about that person', async () => {
    const mail = await renderMail({ kind: 'booking_confirmed', booking: { ...booking, bookerName: 'Lise', to: 'booker' }, cls }, ctx)
    expect(mail.subject.startsWith('Grethe har en plads')).toBe(true)
    expect(mail.text).toContain('Hej Lise')
    expect(mail.text).toContain('fordi du har tilmeldt Grethe')
    expect(mail.attachments.map(a => a.filename)).toEqual(['kursus.ics'])
  })

  it('tells leaders about the milestone, and lets interest e-mails be unsubscribed in one click', async () => {
    const milestone = await renderMail(all[10]!, ctx)
    expect(milestone.subject).toBe('Milepæl: deltager nr. 3.000 er kommet (i alt)')
    expect(milestone.text).toContain('Karen Jensen er lige blevet deltager nr. 3.000')
    const interest = await renderMail(all[9]!, ctx)
    expect(interest.headers['List-Unsubscribe']).toBe('<https://kurser.bib.dk/interesse/afmeld/unsub_abcdefghijklmnopq>')
    expect(interest.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click')
    expect(interest.html).toContain('href="https://kurser.bib.dk/interesse/afmeld/unsub_abcdefghijklmnopq"')
  })
})
