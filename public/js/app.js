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

  // Move focus to the error summary or message after a failed submit. Wait for the
  // browser to finish scrolling to the #tilmelding anchor, which would take focus back.
  const summary = document.getElementById('fejl') || document.getElementById('besked')
  if (summary) {
    window.addEventListener('load', function () {
      setTimeout(function () { summary.focus() }, 0)
    })
  }
})()
