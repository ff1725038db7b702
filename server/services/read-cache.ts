/**
 * Pages that many people read and few change (the catalogue, the reports) are built
 * once and reused until something changes: a report reads every attendance of a period,
 * which takes a good part of a second on a big installation.
 * "Something changes" is any state-changing request to this server, which bumps the
 * generation. With several servers, `sharedVersion` reads a count that every server's
 * state-changing requests bump in the database, so a change made on another server is
 * seen at once too. A kept page older than `maxAgeMs` is made again anyway, which bounds
 * how stale it can be after a change no request made (a background job).
 */
export class ReadCache<T> {
  private generation = 0
  private readonly entries = new Map<string, { generation: number, version: number, at: number, value: Promise<T> }>()

  constructor (
    private readonly maxAgeMs = 60_000,
    private readonly maxEntries = 20,
    private readonly sharedVersion: (() => Promise<number>) | null = null
  ) {}

  /** Something was written: every kept report is out of date. */
  invalidate (): void {
    this.generation++
  }

  async get (key: string, build: () => Promise<T>, now = Date.now()): Promise<T> {
    const version = this.sharedVersion ? await this.sharedVersion() : 0
    const hit = this.entries.get(key)
    if (hit && hit.generation === this.generation && hit.version === version && now - hit.at < this.maxAgeMs) return await hit.value
    const value = build()
    this.entries.delete(key)
    this.entries.set(key, { generation: this.generation, version, at: now, value })
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string)
    try {
      return await value
    } catch (error) {
      // Forget the failed build only: a newer one may have taken its place meanwhile.
      if (this.entries.get(key)?.value === value) this.entries.delete(key)
      throw error
    }
  }
}
