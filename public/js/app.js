// Progressive enhancement only: every page works without this file.
(function () {
  'use strict'

  // Whom a booking is for: the booker's own fields show only for "someone else", and the
  // participant's labels, legends and autofill follow the choice.
  document.querySelectorAll('[data-shown-by]').forEach(function (panel) {
    const toggle = document.getElementById(panel.getAttribute('data-shown-by'))
    if (!toggle) return
    const form = toggle.form
    const choices = toggle.type === 'radio' && form ? form.querySelectorAll('input[name="' + toggle.name + '"]') : [toggle]
    const hasValue = Array.prototype.some.call(panel.querySelectorAll('input'), function (i) { return i.value !== '' })
    if (hasValue) toggle.checked = true
    const autofill = { name: 'name', phone: 'tel', email: 'email' }
    function sync () {
      const other = toggle.checked
      panel.hidden = !other
      if (!form) return
      form.querySelectorAll('[data-other]').forEach(function (el) {
        el.textContent = el.getAttribute(other ? 'data-other' : 'data-self')
      })
      // The browser fills in the details of the person at the keyboard: theirs go to the booker's fields.
      Object.keys(autofill).forEach(function (field) {
        const own = form.elements.namedItem(field)
        const booker = form.elements.namedItem('booker_' + field)
        if (own && own.setAttribute) own.setAttribute('autocomplete', other ? 'off' : autofill[field])
        if (booker && booker.setAttribute) booker.setAttribute('autocomplete', other ? autofill[field] : 'off')
      })
    }
    Array.prototype.forEach.call(choices, function (choice) { choice.addEventListener('change', sync) })
    sync()
  })

  // A print button where printing is possible.
  document.querySelectorAll('.js-print').forEach(function (button) {
    button.hidden = false
    button.addEventListener('click', function () { window.print() })
  })

  // Characters left in a text message, counted as the phone network does (GSM-7: € [ ] { }
  // ~ ^ | \ take two, … becomes three dots). The server counts again and has the last word.
  document.querySelectorAll('textarea[data-gsm7-max]').forEach(function (field) {
    const counter = document.getElementById(field.getAttribute('data-count'))
    const max = Number(field.getAttribute('data-gsm7-max'))
    if (!counter || !max) return
    const double = '^{}\\[~]|€\f'
    function length (text) {
      let n = 0
      for (const ch of text.normalize('NFC').replace(/\p{Cf}/gu, '').replace(/\s+/g, ' ').trim()) {
        n += ch === '…' ? 3 : double.indexOf(ch) >= 0 ? 2 : 1
      }
      return n
    }
    let timer = null
    function update () {
      const left = max - length(field.value)
      counter.textContent = left >= 0 ? 'Du har ' + left + ' tegn tilbage.' : 'Beskeden er ' + (-left) + ' tegn for lang.'
      counter.classList.toggle('char-count-over', left < 0)
    }
    // Screen readers hear the count when typing pauses, not at every key.
    field.addEventListener('input', function () {
      clearTimeout(timer)
      timer = setTimeout(update, 400)
    })
  })

  // Move focus to the error summary or message after a failed submit. Wait for the
  // browser to finish scrolling to the #tilmelding anchor, which would take focus back.
  const summary = document.getElementById('fejl') || document.getElementById('besked')
  if (summary) {
    window.addEventListener('load', function () {
      setTimeout(function () { summary.focus() }, 0)
    })
  }
})()
