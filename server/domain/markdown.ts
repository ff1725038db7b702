import { Marked } from 'marked'

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** Course descriptions are our own files; still, raw HTML in them is shown as text, not run. */
const markdown = new Marked({ gfm: true, renderer: { html: ({ text }) => escapeHtml(text) } })

export function renderMarkdown (source: string): string {
  return markdown.parse(source, { async: false })
}
