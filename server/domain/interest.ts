/**
 * "Få besked om nye hold" with double opt-in: an address gets the confirmation e-mail
 * and nothing else until its link is used.
 */

/** How long the link in a confirmation e-mail works; an unconfirmed sign-up is deleted after it. */
export const CONFIRMATION_DAYS = 7
/** A pending address gets another confirmation e-mail only after this pause. */
export const CONFIRMATION_RESEND_MINUTES = 10

interface SignUpState { confirmed_at: string | null, unsubscribed_at: string | null, confirm_sent_at: string | null }

/**
 * What signing up an address does, given what we have for it on this course:
 * 'new' a first sign-up, 'again' after unsubscribing (both send a confirmation), 'resend'
 * a pending one whose last e-mail is older than the pause, 'nothing' when the address is
 * already confirmed or was sent a confirmation moments ago.
 */
export function signUpStep (existing: SignUpState | undefined, now: Date): 'new' | 'again' | 'resend' | 'nothing' {
  if (!existing) return 'new'
  if (existing.unsubscribed_at !== null) return 'again'
  if (existing.confirmed_at !== null) return 'nothing'
  const sent = existing.confirm_sent_at === null ? 0 : Date.parse(existing.confirm_sent_at)
  return now.getTime() - sent >= CONFIRMATION_RESEND_MINUTES * 60_000 ? 'resend' : 'nothing'
}

/** Pending sign-ups whose last confirmation e-mail was sent before this moment have expired. */
export function confirmationCutoff (now: Date): string {
  return new Date(now.getTime() - CONFIRMATION_DAYS * 86400_000).toISOString()
}

/** Whether a confirmation link still confirms: pending, not unsubscribed, and not expired. */
export function canConfirm (sub: SignUpState, now: Date): boolean {
  return sub.confirmed_at === null && sub.unsubscribed_at === null &&
    sub.confirm_sent_at !== null && sub.confirm_sent_at >= confirmationCutoff(now)
}
