import { DateTime } from 'luxon'
import { ZONE, toStoredIso } from './time.ts'

/** What an API token may do; chosen when it is made, stored space-separated. */
export const API_SCOPES = ['classes:read', 'classes:write', 'bookings:read', 'bookings:write'] as const
export type ApiScope = typeof API_SCOPES[number]

/** A route's declared access: a scope, or open to all (a token may still widen the answer). */
export type ApiAccess = ApiScope | 'public'

export const isApiScope = (value: unknown): value is ApiScope => typeof value === 'string' && (API_SCOPES as readonly string[]).includes(value)
export const isApiAccess = (value: unknown): value is ApiAccess => value === 'public' || isApiScope(value)

/** Danish: what each scope allows, for the form and the list; English for the OpenAPI document. */
export const SCOPE_TEXT: Record<ApiScope, { short: string, label: string, english: string }> = {
  'classes:read': { short: 'Læse hold', label: 'Læse hold, også interne hold', english: 'read classes, internal ones too' },
  'classes:write': { short: 'Ændre hold', label: 'Oprette, ændre og aflyse hold', english: 'create, change and cancel classes' },
  'bookings:read': { short: 'Læse tilmeldinger', label: 'Se tilmeldinger med personoplysninger: navn, telefon, e-mail, fødselsår og behov', english: "read bookings with participants' personal data (name, phone, e-mail, birth year, needs)" },
  'bookings:write': { short: 'Tilmelde', label: 'Tilmelde deltagere til hold', english: 'book seats for participants' }
}

export const parseScopes = (stored: string): ApiScope[] => stored.split(' ').filter(isApiScope)
export const formatScopes = (scopes: readonly ApiScope[]): string => API_SCOPES.filter(s => scopes.includes(s)).join(' ')

export const TOKEN_DEFAULT_MONTHS = 12
export const TOKEN_MAX_MONTHS = 24

/** The form's default expiry date (yyyy-mm-dd, Copenhagen): 12 months from today. */
export function defaultExpiryDate (now: Date = new Date()): string {
  return DateTime.fromJSDate(now).setZone(ZONE).plus({ months: TOKEN_DEFAULT_MONTHS }).toISODate() as string
}

export interface ApiTokenInput { name: string, scopes: ApiScope[], expiresAt: string }
export type ApiTokenFormErrors = Partial<Record<'name' | 'scopes' | 'expires_on', string>>

/**
 * Validates the token form. A token works through its expiry date (Copenhagen), so it
 * stops at the start of the next day; the date must be after today and at most 24 months ahead.
 */
export function validateApiTokenForm (form: { name: string, scopes: string[], expiresOn: string }, now: Date = new Date()): { ok: true, value: ApiTokenInput } | { ok: false, errors: ApiTokenFormErrors } {
  const errors: ApiTokenFormErrors = {}
  const name = form.name.normalize('NFC').replace(/\s+/g, ' ').trim()
  if (name === '' || name.length > 100) errors.name = 'Skriv et navn på højst 100 tegn, fx «Bibliotekets hjemmeside».'
  const scopes = API_SCOPES.filter(s => form.scopes.includes(s))
  if (scopes.length === 0) errors.scopes = 'Vælg mindst én rettighed. Vælg kun dem, systemet har brug for.'
  const today = DateTime.fromJSDate(now).setZone(ZONE).startOf('day')
  const day = /^\d{4}-\d{2}-\d{2}$/.test(form.expiresOn) ? DateTime.fromISO(form.expiresOn, { zone: ZONE }) : null
  if (!day?.isValid) errors.expires_on = 'Skriv en dato, fx 2027-12-31.'
  else if (day <= today) errors.expires_on = 'Vælg en dato efter i dag.'
  else if (day > today.plus({ months: TOKEN_MAX_MONTHS })) errors.expires_on = `Nøglen kan højst gælde i ${TOKEN_MAX_MONTHS} måneder. Vælg en tidligere dato.`
  if (!day?.isValid || Object.keys(errors).length > 0) return { ok: false, errors }
  return { ok: true, value: { name, scopes, expiresAt: toStoredIso(day.plus({ days: 1 }).startOf('day')) } }
}

export type ApiTokenState = 'active' | 'revoked' | 'expired' | 'owner_inactive'

/** Whether a token works now, and if not, why (revoked first: that was a choice). */
export function apiTokenState (token: { revoked_at: string | null, expires_at: string, owner_active: boolean }, now: Date = new Date()): ApiTokenState {
  if (token.revoked_at !== null) return 'revoked'
  if (!(token.expires_at > now.toISOString())) return 'expired'
  if (!token.owner_active) return 'owner_inactive'
  return 'active'
}

/** last_used_at is written at most this often per token, not on every request. */
export const LAST_USED_RESOLUTION_MS = 60_000

export const shouldTouch = (lastUsedAt: string | null, now: Date): boolean =>
  lastUsedAt === null || now.getTime() - Date.parse(lastUsedAt) >= LAST_USED_RESOLUTION_MS
