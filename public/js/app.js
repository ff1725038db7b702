// Progressive enhancement only: every page works without this file.
(function () {
  'use strict'

  // Show the booker's fields only when "I am booking for someone else" is ticked.
  document.querySelectorAll('[data-shown-by]').forEach(function (panel) {
    const toggle = document.getElementById(panel.getAttribute('data-shown-by'))
    if (!toggle) return
    const hasValue = Array.prototype.some.call(panel.querySelectorAll('input'), function (i) { return i.value !== '' })
    if (hasValue) toggle.checked = true
    function sync () {
      panel.hidden = !toggle.checked
    }
    toggle.addEventListener('change', sync)
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
