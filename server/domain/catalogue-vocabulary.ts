/** Course topics and levels, as written in courses/*.md, with their Danish labels. */
export const TOPICS = {
  mitid: 'MitID',
  'digital-post': 'Digital Post',
  'borger-dk': 'borger.dk og selvbetjening',
  sundhed: 'Sundhed på nettet',
  netbank: 'Netbank og betaling',
  sikkerhed: 'Sikkerhed og svindel',
  enheder: 'Smartphone, tablet og computer'
} as const

export const LEVELS = {
  begynder: 'Begynder',
  'let-oevet': 'Let øvet',
  oevet: 'Øvet'
} as const

export type Topic = keyof typeof TOPICS
export type Level = keyof typeof LEVELS

export const isTopic = (value: string): value is Topic => Object.hasOwn(TOPICS, value)
export const topicLabel = (topic: string): string => (isTopic(topic) ? TOPICS[topic] : topic)
export const levelLabel = (level: string): string => (Object.hasOwn(LEVELS, level) ? LEVELS[level as Level] : level)

export const LOCATION_KINDS = {
  library: 'Bibliotek',
  branch: 'Filial',
  club: 'Forening eller klub',
  citizen_service: 'Borgerservice'
} as const
