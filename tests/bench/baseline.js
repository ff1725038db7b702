import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fastifyFormbody from '@fastify/formbody'
import fastifyView from '@fastify/view'
import SQLite from 'better-sqlite3'
import { Eta } from 'eta'
import Fastify from 'fastify'

/**
 * The baseline for `npm run bench`, plain JavaScript run by plain node as `npm start`
 * runs the compiled server: a bare Fastify server that renders a comparable Eta
 * page (the next 50 classes with course and place) from a bare better-sqlite3 query, and
 * a bare insert route for a posted form. No sessions, CSRF, validation or layout: what
 * the platform's own pages are measured against.
 */
const file = process.env.BENCH_DB ?? ''
const port = Number(process.env.PORT ?? 0)
const views = mkdtempSync(join(tmpdir(), 'digikurser-baseline-'))
writeFileSync(join(views, 'page.eta'), `<!doctype html><html lang="da"><head><meta charset="utf-8"><title>Hold</title></head><body><main><h1>Kommende hold</h1><ul>
<% for (const c of it.classes) { %><li><h2><a href="/hold/<%= c.id %>"><%= c.title %></a></h2><p><%= c.location %>, <%= c.starts_at %></p><p><%= c.capacity - c.taken %> ledige pladser</p></li>
<% } %></ul></main></body></html>`)

const read = new SQLite(file, { readonly: true })
const upcoming = read.prepare(`select classes.id, courses.title, locations.name as location, classes.capacity,
  (select min(starts_at) from meetings where meetings.class_id = classes.id) as starts_at,
  (select count(*) from bookings where bookings.class_id = classes.id and bookings.status = 'confirmed') as taken
  from classes join courses on courses.slug = classes.course_slug join locations on locations.id = classes.location_id
  where classes.id in (select class_id from meetings where starts_at > ?) order by starts_at limit 50`)
const write = new SQLite(join(views, 'insert.sqlite'))
write.pragma('journal_mode = WAL')
write.pragma('synchronous = NORMAL')
write.exec('create table rows (id integer primary key, name text not null, phone text, created_at text not null)')
const insert = write.prepare('insert into rows (name, phone, created_at) values (?, ?, ?)')

const app = Fastify({ logger: false })
await app.register(fastifyFormbody)
await app.register(fastifyView, { engine: { eta: new Eta({ views, cache: true }) }, templates: views, production: true })
app.get('/page', async (_request, reply) => await reply.viewAsync('page', { classes: upcoming.all(new Date().toISOString()) }))
app.post('/insert', async (request, reply) => {
  const body = request.body
  insert.run(body.name ?? '', body.phone ?? null, new Date().toISOString())
  return await reply.redirect('/page', 303)
})
await app.listen({ port, host: '127.0.0.1' })
console.log(`baseline listening on ${port}`)
