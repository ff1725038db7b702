import type { Config } from '../config.ts'

/**
 * The contact details the demo shows on its privacy page, footer and e-mails: made up,
 * but shaped like a real library's. A value set in the environment wins.
 */
export const DEMO_CONTACT = {
  CONTACT_PHONE: '12 34 56 78',
  CONTACT_EMAIL: 'kurser@bibliotek.example.dk',
  DPO_CONTACT: 'Eksempel Kommunes databeskyttelsesrådgiver, dpo@kommune.example.dk'
} as const

export function demoEnvironment (env: Record<string, string | undefined>): Record<string, string | undefined> {
  const filled: Record<string, string | undefined> = { ...env }
  for (const [key, value] of Object.entries(DEMO_CONTACT)) {
    if ((filled[key] ?? '') === '') filled[key] = value
  }
  return filled
}

/** The plain lines `npm run demo` ends its start-up with: where to go, and what to expect. */
export function demoStartLines (config: Pick<Config, 'publicUrl'>): string[] {
  return [
    '',
    'The demo is running.',
    `  Open ${config.publicUrl} for the citizens' pages.`,
    `  Open ${config.publicUrl}/personale for the staff pages.`,
    '  There are no staff users yet: your first visit to the staff pages creates the administrator.',
    '  The demo data are made afresh at every start of npm run demo; nothing you change is kept.',
    '  Stop the demo with Ctrl+C.',
    ''
  ]
}
