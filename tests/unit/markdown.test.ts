import { describe, expect, it } from 'vitest'
import { renderMarkdown } from '../../server/domain/markdown.ts'

describe('course descriptions', () => {
  it('render Markdown, and show raw HTML as text instead of running it', () => {
    const html = renderMarkdown('Du lærer **MitID**.\n\n<script>alert(1)</script>\n\n- En ting')
    expect(html).toContain('<strong>MitID</strong>')
    expect(html).toContain('<li>En ting</li>')
    expect(html).not.toContain('<script>')
    expect(html).toContain('&lt;script&gt;')
  })
})
