/**
 * Text as people type it. Invisible format characters (Unicode category Cf: bidi
 * overrides and isolates, LRM/RLM, zero-width space and joiners, word joiner, soft
 * hyphen, BOM, tag characters …) are never part of a name or a note we need, and they
 * let two different-looking names compare equal or one name hide as another. ZWJ and
 * ZWNJ go too: a name loses an emoji sequence or a Persian/Indic joining hint, which is
 * a fair price for names that read as they are stored.
 */
const FORMAT_CHARACTERS = /\p{Cf}/gu

/** Also invisible, for comparing only: variation selectors, Hangul fillers, the combining grapheme joiner … */
const IGNORABLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu

/** NFC and without format characters: what we store of anything typed. */
export function cleanText (value: string): string {
  return value.normalize('NFC').replace(FORMAT_CHARACTERS, '')
}

/**
 * A name as the duplicate check compares it: compatibility-normalised (full-width and
 * other look-alike forms become plain letters), case-folded (upper then lower case, so
 * "ß" and "SS" meet), invisible characters removed and spacing collapsed.
 */
export function nameKey (value: string): string {
  return value.normalize('NFKC').replace(IGNORABLE, '')
    .toUpperCase().toLowerCase().normalize('NFKC')
    .replace(/\s+/g, ' ').trim()
}
