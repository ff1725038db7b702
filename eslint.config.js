import neostandard from 'neostandard'

/**
 * The layers of server/ (see `npm run graph`, which counts the same arrows): routes →
 * services → repositories → db; domain is pure; mail sends what services queued.
 * Each folder lists the folders it must not import, so a wrong arrow fails lint.
 */
const FORBIDDEN = {
  domain: ['repositories', 'services', 'mail', 'plugins', 'routes', 'kysely'],
  repositories: ['services', 'mail', 'plugins', 'routes'],
  db: ['services', 'mail', 'plugins', 'routes'],
  mail: ['plugins', 'routes', 'services'],
  services: ['plugins', 'routes'],
  plugins: ['routes'],
  routes: ['kysely']
}

const WHY = {
  domain: 'domain/ is pure rules: no I/O, so no database, services, mail, plugins or routes.',
  repositories: 'repositories/ are the queries alone: the use case around them belongs in a service.',
  db: 'db/ is the connection, schema and migrations: nothing above it.',
  mail: 'mail/ renders and sends what services queued: it calls no service, plugin or route.',
  services: 'services/ are use cases, free of HTTP: pass what they need as arguments.',
  plugins: 'plugins/ are below the routes: move what both need down, beside the plugin.',
  routes: 'Only repositories write Kysely queries.'
}

/**
 * Repository functions that write. Routes may call a repository's finders, but a write
 * goes through a service, which owns the transaction and the audit line.
 */
const REPOSITORY_WRITES = '^(insert|update|delete|upsert|create|set|mark|claim|record|move|replace|lock|revoke|finish|bump|withdraw|assign|unassign|touch|take|give|seed|requeue|raise|ensure|correct|clear|cancel|apply|anonymi[sz]e|save|remove|purge|add|merge|sync)[A-Z]|^(countRequest|uncountRequest)$'

const layerRules = (folder, extra = []) => ({
  name: `digikurser/layers/${folder}`,
  files: [`server/${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': ['error', {
      paths: FORBIDDEN[folder].includes('kysely') ? [{ name: 'kysely', message: WHY[folder] }] : [],
      patterns: [
        ...FORBIDDEN[folder].filter(f => f !== 'kysely').map(f => ({ regex: `^\\.{1,2}/(.*/)?${f}/`, message: `${folder}/ must not import ${f}/. ${WHY[folder]}` })),
        ...extra
      ]
    }]
  }
})

const routeWrites = {
  regex: '^\\.{1,2}/(.*/)?repositories/',
  importNamePattern: REPOSITORY_WRITES,
  message: 'Routes never call a repository function that writes: call the service that owns the use case.'
}

const noTransactionInRoutes = ['error', {
  selector: "CallExpression[callee.type='MemberExpression'][callee.property.name='transaction']",
  message: 'Routes never open a transaction: a service owns each use case and its transaction.'
}]

export default [
  ...neostandard({ ts: true, ignores: ['node_modules/**', 'data/**', 'dist/**', 'public/vendor/**', 'coverage/**'] }),
  ...Object.keys(FORBIDDEN).filter(f => f !== 'routes').map(f => layerRules(f)),
  layerRules('routes', [routeWrites]),
  {
    name: 'digikurser/layers/routes-no-transaction',
    files: ['server/routes/**/*.ts'],
    rules: { 'no-restricted-syntax': noTransactionInRoutes }
  }
]
