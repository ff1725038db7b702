import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { dirname, resolve } from 'node:path'
import { type Static, Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

/**
 * Every environment variable the server reads, validated once at start.
 * Nothing else in the code base reads process.env.
 */
const EnvSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], { default: 'development' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s/]+(/[^\\s]*)?$' })),
  DATABASE_FILE: Type.String({ minLength: 1, default: 'data/digikurser.sqlite' }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://[^\\s]+$' })),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  COURSES_DIR: Type.String({ minLength: 1, default: 'courses' }),
  SESSION_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  BOOKING_RATE_LIMIT: Type.Integer({ minimum: 1, maximum: 100000, default: 30 }),
  BOOKING_LIMIT_PER_CLASS: Type.Integer({ minimum: 1, maximum: 100000, default: 6 }),
  BOOKING_LIMIT_PER_BOOKER: Type.Integer({ minimum: 1, maximum: 100000, default: 4 }),
  BOOKING_LIMIT_WINDOW_MINUTES: Type.Integer({ minimum: 1, maximum: 10080, default: 60 }),
  TRUST_PROXY: Type.String({ minLength: 1, maxLength: 2000, default: 'false' }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map(l => Type.Literal(l)), { default: 'info' }),
  ORGANISATION_NAME: Type.String({ minLength: 1, maxLength: 100, default: 'Bibliotekets digitale kurser' }),
  SITE_NAME: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  LOGO_FILE: Type.Optional(Type.String({ minLength: 1 })),
  CONTACT_PHONE: Type.String({ maxLength: 40, default: '' }),
  CONTACT_EMAIL: Type.String({ maxLength: 200, default: '' }),
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://[^\\s]+$' })),
  MAIL_FROM: Type.Optional(Type.String({ minLength: 3, maxLength: 200, pattern: '@' })),
  REMINDER_OFFSETS: Type.String({ pattern: '^\\s*\\d+\\s*[dhm]\\s*(,\\s*\\d+\\s*[dhm]\\s*)*$', default: '2d,3h' }),
  RETENTION_MONTHS: Type.Integer({ minimum: 1, maximum: 120, default: 12 }),
  PRIVACY_TEXT_FILE: Type.Optional(Type.String({ minLength: 1 })),
  ACCESSIBILITY_TEXT_FILE: Type.Optional(Type.String({ minLength: 1 })),
  DPO_CONTACT: Type.String({ maxLength: 200, default: '' }),
  DOOR_RATE_LIMIT: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 300 }),
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16, maxLength: 200 })),
  SMS_PROVIDER: Type.Union([Type.Literal('none'), Type.Literal('gatewayapi')], { default: 'none' }),
  SMS_API_URL: Type.String({ pattern: '^https?://[^\\s]+$', default: 'https://gatewayapi.com' }),
  SMS_API_TOKEN: Type.Optional(Type.String({ minLength: 8, maxLength: 500 })),
  SMS_SENDER: Type.String({ pattern: '^[A-Za-z0-9]{1,11}$', default: 'Biblioteket' }),
  SMS_MONTHLY_LIMIT: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 1000 }),
  SMS_WEBHOOK_SECRET: Type.Optional(Type.String({ minLength: 16, maxLength: 500 })),
  SMS_QUIET_HOURS: Type.String({ pattern: '^\\s*(off|([01]?\\d|2[0-3])\\s*-\\s*([01]?\\d|2[0-3]))\\s*$', default: '21-8' }),
  SMS_INCLUDE_LINK: Type.Boolean({ default: false })
})

type Env = Static<typeof EnvSchema>

const SECRET_VARIABLES = new Set(['SESSION_SECRET', 'DATABASE_URL', 'SMTP_URL', 'METRICS_TOKEN', 'SMS_API_TOKEN', 'SMS_WEBHOOK_SECRET'])

export interface Config {
  env: Env['NODE_ENV']
  isProduction: boolean
  host: string
  port: number
  publicUrl: string
  /** The SQLite file; not used when databaseUrl is set. */
  databaseFile: string
  /** postgres://… to use PostgreSQL (needed for several servers); null for the SQLite file. */
  databaseUrl: string | null
  /** Connections each server keeps to PostgreSQL. */
  databasePoolSize: number
  /**
   * Whether several servers may share the database, so that what one server keeps in
   * memory (rate-limit counts, kept pages) must be kept in the database instead. Decided
   * here once, from where the data lives: PostgreSQL can serve several servers, SQLite
   * only one. Not an environment variable of its own.
   */
  sharedState: boolean
  coursesDir: string
  sessionKey: Buffer
  /** Accepted online bookings from one address per window, over all classes. */
  bookingRateLimit: number
  /** Accepted online bookings from one address on one class per window. */
  bookingLimitPerClass: number
  /** Active bookings one booker (same phone or e-mail) may have on one class. */
  bookingLimitPerBooker: number
  bookingLimitWindowMinutes: number
  /**
   * Whose X-Forwarded-For to believe: false (nobody), true (anyone: only when nothing but
   * the proxy can reach the server), or the proxies' addresses and networks.
   */
  trustProxy: boolean | string[]
  logLevel: string
  organisationName: string
  /** The name in the header and the page titles; ORGANISATION_NAME unless SITE_NAME is set. */
  siteName: string
  /** An image shown in the header next to the site name and served at /logo; none when null. */
  logoFile: string | null
  contactPhone: string
  contactEmail: string
  /** Without it no e-mail leaves the machine: messages are kept for staff to read. */
  smtpUrl: string | null
  mailFrom: string
  /** Minutes before each meeting that a reminder goes out, largest first. */
  reminderOffsets: number[]
  /** Participants are anonymised this many months after their last meeting. */
  retentionMonths: number
  /** Markdown for the privacy page and the accessibility statement; our defaults when null. */
  privacyTextFile: string | null
  accessibilityTextFile: string | null
  /** The data protection officer, named on the privacy page. */
  dpoContact: string
  /** Check-in requests per minute from one address (a door with a few tablets needs far fewer). */
  doorRateLimit: number
  /** Bearer token for /metrics; without it /metrics is not served. */
  metricsToken: string | null
  sms: SmsConfig
}

export interface SmsConfig {
  /** 'none': texts are kept in the outbox for staff to read, never sent. */
  provider: 'none' | 'gatewayapi'
  /** GatewayAPI's address (tests point it at a fake on 127.0.0.1). */
  apiUrl: string
  apiToken: string | null
  /** The sender name shown on the phone: at most 11 letters and digits. */
  sender: string
  /** Texts a calendar month; when reached, further texts wait and leaders see a warning. 0: no limit. */
  monthlyLimit: number
  /** The secret GatewayAPI signs its webhook calls with; without it the webhooks refuse every call. */
  webhookSecret: string | null
  /** No texts from `from` o'clock to `to` o'clock, Copenhagen time; null: any time. */
  quietHours: { from: number, to: number } | null
  /** Put the booking's private link in texts (Danish operators may filter texts with links). */
  includeLink: boolean
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Reads and validates the environment. Throws ConfigError naming the variable. */
export function loadConfig (source: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = source[key]
    if (value !== undefined && value !== '') raw[key] = value
  }
  const withDefaults = Value.Default(EnvSchema, raw)
  const converted = Value.Convert(EnvSchema, withDefaults)
  const firstError = Value.Errors(EnvSchema, converted).First()
  if (firstError) {
    const variable = firstError.path.replace(/^\//, '') || 'environment'
    const given = source[variable]
    // Secrets and URLs that may carry a password are never echoed into the log.
    const shown = given !== undefined && !SECRET_VARIABLES.has(variable) ? ` (got "${given}")` : ''
    throw new ConfigError(`Invalid configuration: ${variable} ${firstError.message}${shown}. See .env.example.`)
  }
  const env = converted as Env
  const databaseFile = env.DATABASE_FILE === ':memory:' ? ':memory:' : resolve(env.DATABASE_FILE)

  const config: Config = {
    env: env.NODE_ENV,
    isProduction: env.NODE_ENV === 'production',
    host: env.HOST,
    port: env.PORT,
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, ''),
    databaseFile,
    databaseUrl: env.DATABASE_URL ?? null,
    databasePoolSize: env.DATABASE_POOL_SIZE,
    sharedState: false,
    coursesDir: resolve(env.COURSES_DIR),
    sessionKey: Buffer.alloc(0),
    bookingRateLimit: env.BOOKING_RATE_LIMIT,
    bookingLimitPerClass: env.BOOKING_LIMIT_PER_CLASS,
    bookingLimitPerBooker: env.BOOKING_LIMIT_PER_BOOKER,
    bookingLimitWindowMinutes: env.BOOKING_LIMIT_WINDOW_MINUTES,
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    logLevel: env.LOG_LEVEL,
    organisationName: env.ORGANISATION_NAME,
    siteName: env.SITE_NAME ?? env.ORGANISATION_NAME,
    logoFile: env.LOGO_FILE !== undefined ? resolve(env.LOGO_FILE) : null,
    contactPhone: env.CONTACT_PHONE,
    contactEmail: env.CONTACT_EMAIL,
    smtpUrl: env.SMTP_URL ?? null,
    mailFrom: env.MAIL_FROM ?? `"${env.ORGANISATION_NAME.replace(/["\\]/g, '')}" <noreply@${new URL(env.PUBLIC_URL ?? 'http://localhost').hostname}>`,
    reminderOffsets: parseOffsets(env.REMINDER_OFFSETS),
    retentionMonths: env.RETENTION_MONTHS,
    privacyTextFile: env.PRIVACY_TEXT_FILE !== undefined ? resolve(env.PRIVACY_TEXT_FILE) : null,
    accessibilityTextFile: env.ACCESSIBILITY_TEXT_FILE !== undefined ? resolve(env.ACCESSIBILITY_TEXT_FILE) : null,
    dpoContact: env.DPO_CONTACT,
    metricsToken: env.METRICS_TOKEN ?? null,
    doorRateLimit: env.DOOR_RATE_LIMIT,
    sms: {
      provider: env.SMS_PROVIDER,
      apiUrl: env.SMS_API_URL.replace(/\/$/, ''),
      apiToken: env.SMS_API_TOKEN ?? null,
      sender: env.SMS_SENDER,
      monthlyLimit: env.SMS_MONTHLY_LIMIT,
      webhookSecret: env.SMS_WEBHOOK_SECRET ?? null,
      quietHours: parseQuietHours(env.SMS_QUIET_HOURS),
      includeLink: env.SMS_INCLUDE_LINK
    },
    ...overrides
  }
  config.sharedState = overrides.sharedState ?? config.databaseUrl !== null
  if (config.smtpUrl !== null && env.MAIL_FROM === undefined && overrides.mailFrom === undefined) {
    throw new ConfigError('Invalid configuration: MAIL_FROM must be set when SMTP_URL is set, e.g. "Bibliotekets kurser <kurser@bibliotek.dk>". See .env.example.')
  }
  if (config.sms.provider === 'gatewayapi' && config.sms.apiToken === null) {
    throw new ConfigError('Invalid configuration: SMS_API_TOKEN must be set when SMS_PROVIDER is gatewayapi (an API token from GatewayAPI\'s dashboard). See .env.example.')
  }
  for (const [variable, file] of [['PRIVACY_TEXT_FILE', config.privacyTextFile], ['ACCESSIBILITY_TEXT_FILE', config.accessibilityTextFile]] as const) {
    if (file !== null && !existsSync(file)) throw new ConfigError(`Invalid configuration: ${variable} names a file that does not exist (got "${file}"). See .env.example.`)
  }
  if (config.logoFile !== null) {
    if (!existsSync(config.logoFile)) throw new ConfigError(`Invalid configuration: LOGO_FILE names a file that does not exist (got "${config.logoFile}"). See .env.example.`)
    if (logoContentType(config.logoFile) === undefined) throw new ConfigError(`Invalid configuration: LOGO_FILE must be an .svg, .png, .jpg, .jpeg, .gif or .webp file (got "${config.logoFile}"). See .env.example.`)
  }
  if (config.sessionKey.length === 0) {
    if (env.SESSION_SECRET === undefined && config.databaseUrl !== null) {
      // A key kept next to one server's files would differ on the next server, and a
      // citizen whose form is answered by the other one would lose it.
      throw new ConfigError('Invalid configuration: SESSION_SECRET must be set when DATABASE_URL is set, and be the same on every server. See .env.example.')
    }
    config.sessionKey = env.SESSION_SECRET !== undefined
      ? sessionKeyFromSecret(env.SESSION_SECRET)
      : sessionKeyFromFile(databaseFile)
  }
  return config
}

const LOGO_TYPES: Record<string, string> = { svg: 'image/svg+xml', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' }

/** The content type of a logo file by its extension; undefined for anything but an image. */
export function logoContentType (file: string): string | undefined {
  const extension = /\.([a-z]+)$/i.exec(file)?.[1]?.toLowerCase() ?? ''
  return Object.hasOwn(LOGO_TYPES, extension) ? LOGO_TYPES[extension] : undefined
}

/** "2d,3h" → [2880, 180]: minutes, largest first, without repeats. */
export function parseOffsets (text: string): number[] {
  const unit = { d: 1440, h: 60, m: 1 } as const
  const minutes = text.split(',').map(part => {
    const match = /^\s*(\d+)\s*([dhm])\s*$/.exec(part)
    if (!match) throw new ConfigError(`Invalid configuration: REMINDER_OFFSETS part "${part}" is not like 2d, 3h or 30m. See .env.example.`)
    return Number(match[1]) * unit[match[2] as keyof typeof unit]
  })
  if (minutes.some(m => m <= 0)) throw new ConfigError('Invalid configuration: REMINDER_OFFSETS must be greater than zero. See .env.example.')
  return [...new Set(minutes)].sort((a, b) => b - a)
}

/** "21-8" → no texts from 21.00 to 08.00; "off" → null. */
export function parseQuietHours (text: string): { from: number, to: number } | null {
  const value = text.trim().toLowerCase()
  if (value === 'off') return null
  const match = /^(\d{1,2})\s*-\s*(\d{1,2})$/.exec(value)
  const from = Number(match?.[1])
  const to = Number(match?.[2])
  if (!match || from > 23 || to > 23 || from === to) {
    throw new ConfigError(`Invalid configuration: SMS_QUIET_HOURS must be two hours like 21-8 (no texts from 21.00 to 08.00), or off (got "${text}"). See .env.example.`)
  }
  return { from, to }
}

/**
 * TRUST_PROXY: "false", "true", or a comma-separated list of the proxies' IP addresses and
 * networks (10.0.0.5, 10.0.0.0/24, fd00::/8), or proxy-addr's names loopback, linklocal,
 * uniquelocal. The list is handed to Fastify's trustProxy.
 */
export function parseTrustProxy (text: string): boolean | string[] {
  const value = text.trim().toLowerCase()
  if (value === 'false') return false
  if (value === 'true') return true
  return text.split(',').map(part => {
    const entry = part.trim()
    const [address = '', prefix, ...rest] = entry.split('/')
    const family = isIP(address)
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32))
    const named = ['loopback', 'linklocal', 'uniquelocal'].includes(entry)
    if (!named && (family === 0 || !prefixOk || rest.length > 0)) {
      throw new ConfigError(`Invalid configuration: TRUST_PROXY must be false, true, or the proxies' IP addresses or networks separated by commas, e.g. 127.0.0.1 or 10.0.0.0/24 (got "${entry}"). See .env.example.`)
    }
    return entry
  })
}

function sessionKeyFromSecret (secret: string): Buffer {
  const key = /^[0-9a-f]{64}$/i.test(secret) ? Buffer.from(secret, 'hex') : Buffer.from(secret, 'utf8')
  if (key.length < 32) throw new ConfigError('Invalid configuration: SESSION_SECRET must be at least 32 bytes. See .env.example.')
  return key.subarray(0, 32)
}

/**
 * Without SESSION_SECRET a key is made once and kept next to the database, so that
 * `npm start` works with no .env and sessions survive a restart.
 */
function sessionKeyFromFile (databaseFile: string): Buffer {
  if (databaseFile === ':memory:') return randomBytes(32)
  const keyFile = resolve(dirname(databaseFile), 'session.key')
  if (existsSync(keyFile)) return sessionKeyFromSecret(readFileSync(keyFile, 'utf8').trim())
  mkdirSync(dirname(keyFile), { recursive: true })
  const key = randomBytes(32)
  writeFileSync(keyFile, key.toString('hex') + '\n', { mode: 0o600 })
  return key
}
