/**
 * Pages that many people read and few change (the catalogue, the reports) are built
 * once and reused until something changes: a report reads every attendance of a period,
 * which takes a good part of a second on a big installation.
 * "Something changes" is any state-changing request to this server, which bumps the
 * generation. With several servers, `sharedVersion` reads a count that every server's
 * state-changing requests bump in the database, so a change made on another server is
 * seen at once too. A kept page older than `maxAgeMs` is made again anyway, which bounds
 * how stale it can be after a change no request made (a background job).
 * One cache keeps one kind of page: its keys are K (a filter, a period), its pages V.
 */
export class ReadCache<K, V> {
  private generation = 0
  private readonly entries = new Map<string, { generation: number, version: number, at: number, value: Promise<V> }>()

  constructor (private readonly options: ReadCacheOptions<K, V>) {}

  /** Something was written: every kept page is out of date. */
  invalidate (): void {
    this.generation++
  }

  async get (key: K, now = Date.now()): Promise<V> {
    const { build, keyOf, maxAgeMs, maxEntries, sharedVersion } = this.options
    const name = keyOf(key)
    const version = sharedVersion ? await sharedVersion() : 0
    const hit = this.entries.get(name)
    if (hit && hit.generation === this.generation && hit.version === version && now - hit.at < maxAgeMs) return await hit.value
    const value = build(key)
    this.entries.delete(name)
    this.entries.set(name, { generation: this.generation, version, at: now, value })
    if (this.entries.size > maxEntries) this.entries.delete(this.entries.keys().next().value as string)
    try {
      return await value
    } catch (error) {
      // Forget the failed build only: a newer one may have taken its place meanwhile.
      if (this.entries.get(name)?.value === value) this.entries.delete(name)
      throw error
    }
  }
}

export interface ReadCacheOptions<K, V> {
  /** Makes the value for a key: the page as it is now. */
  build: (key: K) => Promise<V>
  /** The text that tells keys apart: equal for keys that give the same value. */
  keyOf: (key: K) => string
  maxAgeMs: number
  maxEntries: number
  /** The count every server bumps on a change (several servers); null for one server. */
  sharedVersion: (() => Promise<number>) | null
}

/**
 * Shares the runs of `work` between callers that need one that began after they asked:
 * a call made while no run is going starts one; a call made during a run waits for the
 * next run, which every caller that came during the same run shares. Each caller so
 * gets a run that started after its call (a count bumped after its write committed, a
 * count read after its request came), while a rush makes a few runs, not one each.
 * A failed run fails its callers only; the next call starts afresh.
 */
export function coalesced<T> (work: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined
  interface Batch { promise: Promise<T>, resolve: (value: T) => void, reject: (error: unknown) => void }
  let waiting: Batch | undefined
  const start = (): Promise<T> => {
    const run = work()
    running = run
    // The run that ends starts the next one for those who came during it, in the same
    // step: a call can never find no run going while one is about to start.
    const ended = () => {
      const batch = waiting
      waiting = undefined
      if (batch) start().then(batch.resolve, batch.reject)
      else running = undefined
    }
    run.then(ended, ended)
    return run
  }
  return async () => {
    if (running === undefined) return await start()
    if (!waiting) {
      let settle!: Omit<Batch, 'promise'>
      const promise = new Promise<T>((resolve, reject) => { settle = { resolve, reject } })
      waiting = { promise, ...settle }
    }
    return await waiting.promise
  }
}
