/**
 * A citizen's or a volunteer's browser over plain HTTP: keeps its cookies between
 * requests, whichever server the request goes to, as a browser behind a load balancer does.
 */
export class HttpClient {
  private readonly cookies = new Map<string, string>()

  private remember (res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const at = pair!.indexOf('=')
      this.cookies.set(pair!.slice(0, at), pair!.slice(at + 1))
    }
  }

  private get cookieHeader (): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  async get (url: string): Promise<{ status: number, text: string }> {
    const res = await fetch(url, { headers: { cookie: this.cookieHeader }, redirect: 'manual' })
    this.remember(res)
    return { status: res.status, text: await res.text() }
  }

  async postForm (url: string, form: Record<string, string>): Promise<{ status: number, location: string, text: string }> {
    const res = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: this.cookieHeader, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString()
    })
    this.remember(res)
    return { status: res.status, location: res.headers.get('location') ?? '', text: await res.text() }
  }

  async postJson (url: string, body: unknown): Promise<{ status: number, body: any }> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { cookie: this.cookieHeader, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body)
    })
    this.remember(res)
    const text = await res.text()
    return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text }
  }
}
