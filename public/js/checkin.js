// The door, improved: search as you type, one tap to check in (undoing always asks first), a QR scanner, and
// a queue on the tablet for when the network is down. Every action carries its own
// idempotency key, so sending it again (after a dropped answer, or twice) changes
// nothing on the server. Without this file every form still works.
(function () {
  'use strict'

  const root = document.getElementById('door')
  if (!root) return
  const meetingId = root.getAttribute('data-meeting')
  const csrf = root.getAttribute('data-csrf')
  const isToday = root.getAttribute('data-today') === '1'
  const storeKey = 'digikurser-door-' + meetingId
  // The page gives the code's letters and length (domain/checkin-code.ts), so they are written once.
  const CODE_ALPHABET = root.getAttribute('data-code-alphabet') || ''
  const CODE_LENGTH = Number(root.getAttribute('data-code-length')) || 6
  // One row with every variant and blanks (views/checkin/door-row.eta): rows are cloned from it.
  const rowTemplate = document.getElementById('door-row')

  const list = document.getElementById('door-list')
  const search = document.getElementById('door-q')
  const noMatch = document.getElementById('door-no-match')
  const queueNote = document.getElementById('door-queue')
  const message = document.getElementById('door-message')
  const walkInMessage = document.getElementById('door-walkin-message')
  const codeMessage = document.getElementById('door-code-message')
  const celebration = document.getElementById('door-celebration')
  const movedBox = document.getElementById('door-moved')
  const stillShown = document.getElementById('door-still-shown')
  // A tap on "Fortryd" this soon after the row was checked in is the second half of a double tap.
  const UNDO_GUARD_MS = 1000
  const count = root.querySelector('[data-count]')
  const total = root.querySelector('[data-total]')
  const seats = root.querySelector('[data-seats]')

  let queue = load()
  // What the list still shows after the search field was emptied by a check-in.
  let kept = ''
  let sending = false
  let retryTimer = null
  const celebrated = {}

  function newKey () {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID()
    const bytes = new Uint8Array(16)
    window.crypto.getRandomValues(bytes)
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2) }).join('')
  }

  function load () {
    try { return JSON.parse(window.localStorage.getItem(storeKey) || '[]') } catch (e) { return [] }
  }

  // Taps are kept on the tablet until sent. Walk-ins carry a name and maybe a phone or
  // e-mail: they stay in memory only, so no contact data is left on a shared tablet.
  function save () {
    try {
      window.localStorage.setItem(storeKey, JSON.stringify(queue.filter(function (a) { return a.type !== 'walkin' })))
    } catch (e) { /* private mode: the queue lives in memory */ }
  }

  function fold (s) {
    return s.toLocaleLowerCase('da').normalize('NFD').replace(/[\u0300-\u036f]/g, '')
  }

  // Each message stands where the volunteer is looking: next to the walk-in form, next to
  // the code box, or (for taps in the list) at the top of the page.
  function say (text, isError, where) {
    const box = where === 'walkin' && walkInMessage ? walkInMessage : where === 'code' && codeMessage ? codeMessage : message
    ;[message, walkInMessage, codeMessage].forEach(function (el) { if (el && el !== box) el.textContent = '' })
    box.textContent = text
    box.classList.toggle('is-error', !!isError)
    // A message under a form may fall below the screen's edge: bring it into view.
    if (box !== message && box.scrollIntoView) box.scrollIntoView({ block: 'nearest' })
  }

  function placeOf (action) {
    return action && action.type === 'walkin' ? 'walkin' : action && action.type === 'code' ? 'code' : undefined
  }

  // Search as you type.
  function filter (keep) {
    if (!search || !list) return
    if (typeof keep !== 'string' && stillShown) stillShown.hidden = true
    const needle = fold(typeof keep === 'string' ? keep : search.value.trim())
    let shown = 0
    Array.prototype.forEach.call(list.children, function (li) {
      const match = needle === '' || fold(li.getAttribute('data-name') || '').indexOf(needle) !== -1
      li.hidden = !match
      if (match) shown++
    })
    if (noMatch) noMatch.hidden = shown > 0 || needle === ''
  }
  if (search) {
    search.addEventListener('input', function () { kept = ''; filter() })
    search.form.addEventListener('submit', function (e) { e.preventDefault(); kept = ''; filter() })
  }

  // After a check-in the search field is emptied for the next name, but the rows stay as
  // they were until the volunteer types: nothing moves under a finger that taps again.
  function clearSearch () {
    if (!search || search.value.trim() === '') return
    kept = search.value.trim()
    search.value = ''
    if (!stillShown) return
    stillShown.querySelector('span').textContent = 'Søgefeltet er tømt. Listen viser stadig navne med »' + kept + '«.'
    stillShown.hidden = false
  }
  const showAll = document.getElementById('door-show-all')
  if (showAll) showAll.addEventListener('click', function () { kept = ''; filter(); search.focus() })

  // Fills the blanks of a part cloned from the row template, in its text and its
  // attributes. Everything goes in as text, never as markup.
  function fill (node, blanks) {
    const swap = function (text) {
      return text.replace(/__(ID|NAME|NEEDS|KEY)__/g, function (all, blank) {
        return blank === 'KEY' ? newKey() : blanks[blank]
      })
    }
    const walker = document.createTreeWalker(node, window.NodeFilter.SHOW_ELEMENT | window.NodeFilter.SHOW_TEXT)
    for (let n = node; n; n = walker.nextNode()) {
      if (n.nodeType === window.Node.TEXT_NODE) {
        if (n.nodeValue.indexOf('__') !== -1) n.nodeValue = swap(n.nodeValue)
        continue
      }
      Array.prototype.forEach.call(n.attributes, function (attr) {
        if (attr.value.indexOf('__') !== -1) attr.value = swap(attr.value)
      })
    }
    return node
  }

  // A part of the row template for one person: the whole row, or the buttons of one view.
  function part (selector, blanks) {
    return fill(rowTemplate.content.querySelector(selector).cloneNode(true), blanks)
  }

  // One person's row: its state and its buttons. Checked in, the row offers "Fortryd",
  // which only asks; "Ja, fortryd" stands below, and "Nej, behold" where "Fortryd" was.
  function setRow (li, here, pending) {
    li.classList.toggle('is-here', here)
    li.classList.toggle('is-pending', !!pending)
    if (!here) li.classList.remove('is-asking')
    const state = li.querySelector('[data-state]')
    if (state) state.textContent = (here ? '✓ Tjekket ind' : 'Ikke tjekket ind') + (pending ? ' (sendes …)' : '')
    const actions = li.querySelector('.door-row-actions')
    const bookingId = li.getAttribute('data-booking-id')
    if (!actions || !bookingId) return
    const asking = here && li.classList.contains('is-asking')
    const view = here ? (asking ? 'ask' : 'here') : 'out'
    if (li.getAttribute('data-view') === view) return
    li.setAttribute('data-view', view)
    const hadFocus = li.contains(document.activeElement)
    const blanks = { ID: bookingId, NAME: li.getAttribute('data-name'), NEEDS: '' }
    actions.textContent = ''
    const oldConfirm = li.querySelector('.door-confirm')
    if (oldConfirm) oldConfirm.remove()
    const buttons = part('.door-row-actions > [data-for="' + view + '"]', blanks)
    actions.appendChild(buttons)
    if (view === 'ask') li.appendChild(part('.door-confirm', blanks))
    const focus = buttons.matches('form') ? buttons.querySelector('button') : buttons
    if (hadFocus) focus.focus({ preventScroll: true })
    if (view === 'ask' && li.scrollIntoView) li.scrollIntoView({ block: 'nearest' })
  }

  // A new row, as the server draws it, without its buttons yet (setRow adds them).
  function makeRow (person) {
    const li = part('li', { ID: String(person.bookingId), NAME: person.name, NEEDS: person.needs || '' })
    li.removeAttribute('data-view')
    if (!person.needs) li.querySelector('[data-needs]').remove()
    const actions = li.querySelector('.door-row-actions')
    if (actions) actions.textContent = ''
    const confirm = li.querySelector('.door-confirm')
    if (confirm) confirm.remove()
    return li
  }

  function pendingFor (bookingId) {
    let last = null
    queue.forEach(function (a) { if ((a.type === 'in' || a.type === 'out') && a.bookingId === bookingId) last = a })
    return last
  }

  function showQueue (offline) {
    if (!queueNote) return
    const n = queue.length
    queueNote.hidden = n === 0
    if (n === 0) return
    queueNote.textContent = (n === 1 ? '1 tjek-ind venter' : n + ' tjek-ind venter') + ' på at blive sendt.' + (offline ? ' Der er ingen forbindelse lige nu. De bliver sendt af sig selv, når forbindelsen er tilbage.' : '')
  }

  // The list as the server has it, with this tablet's unsent taps on top.
  function setText (el, text) {
    if (el && el.textContent !== text) el.textContent = text
  }

  function render (sheet) {
    if (!list) return
    setText(count, String(sheet.attendedCount))
    setText(total, String(sheet.confirmedCount))
    setText(seats, sheet.seatsLeft === 1 ? '1 ledig plads' : sheet.seatsLeft + ' ledige pladser')
    const rows = {}
    Array.prototype.forEach.call(list.querySelectorAll('li[data-booking-id]'), function (li) { rows[li.getAttribute('data-booking-id')] = li })
    sheet.people.forEach(function (p) {
      let li = rows[String(p.bookingId)]
      if (!li) {
        li = makeRow(p)
        list.appendChild(li)
      }
      const pending = pendingFor(p.bookingId)
      setRow(li, pending ? pending.type === 'in' : p.attended, !!pending)
    })
    Array.prototype.forEach.call(list.querySelectorAll('li.is-walkin-pending'), function (li) {
      if (!queue.some(function (a) { return a.key === li.getAttribute('data-key') })) li.remove()
    })
    filter(kept || undefined)
  }

  function celebrate (result) {
    if (!result.milestones || result.milestones.length === 0 || celebrated[result.key]) return
    celebrated[result.key] = true
    const m = result.milestones[0]
    const n = m.number.toLocaleString('da-DK')
    celebration.querySelector('.door-celebration-title').textContent = 'Du er deltager nr. ' + n + '!'
    celebration.querySelector('.door-celebration-text').textContent = result.milestones.map(function (x) {
      return result.name + ' er deltager nr. ' + x.number.toLocaleString('da-DK') + ' ' + x.scopeLabel + '.'
    }).join(' ') + ' Tillykke! Projektlederen har fået besked.'
    celebration.hidden = false
    celebration.focus()
  }
  if (celebration) {
    celebration.querySelector('[data-close]').addEventListener('click', function () {
      celebration.hidden = true
      if (search) search.focus()
    })
  }

  // An undo took a milestone from someone: say who has the number now, and hold the eye.
  function tellMoved (result) {
    if (!movedBox || !result.milestoneMessage || celebrated[result.key]) return
    celebrated[result.key] = true
    movedBox.querySelector('.door-moved-text').textContent = result.milestoneMessage
    movedBox.hidden = false
    movedBox.setAttribute('role', 'alert')
    movedBox.focus()
  }
  if (movedBox) {
    movedBox.querySelector('[data-close]').addEventListener('click', function () {
      movedBox.hidden = true
      movedBox.removeAttribute('role')
      if (search) search.focus()
    })
  }

  function scheduleRetry () {
    if (retryTimer) return
    retryTimer = setTimeout(function () { retryTimer = null; flush() }, 5000)
  }

  function flush () {
    if (sending) return
    sending = true
    const batch = queue.slice(0, 50)
    window.fetch('/tjek-ind/' + meetingId + '/synk', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ _csrf: csrf, actions: batch })
    }).then(function (res) {
      if (res.status === 401 || res.status === 403) {
        return res.json().then(function (body) {
          say(body.message || 'Du har ikke adgang længere.', true)
          throw new Error('denied')
        })
      }
      if (res.status >= 400 && res.status < 500 && res.status !== 429) {
        // The server will never take this batch: drop it rather than block the queue.
        const dropped = {}
        batch.forEach(function (a) { dropped[a.key] = true })
        queue = queue.filter(function (a) { return !dropped[a.key] })
        save()
        say('Noget gik galt, og de sidste tjek-ind blev ikke gemt. Genindlæs siden, og tjek listen.', true)
        throw new Error('dropped')
      }
      if (!res.ok) throw new Error('status ' + res.status)
      return res.json()
    }).then(function (data) {
      const done = {}
      const sent = {}
      batch.forEach(function (a) { sent[a.key] = a })
      let last = null
      data.results.forEach(function (r) {
        if (r.key) done[r.key] = true
        if (!r.ok) {
          say(r.message, true, placeOf(sent[r.key]))
          restoreWalkIn(r.key)
        } else last = r
        if (r.ok && r.milestones && r.milestones.length > 0) celebrate(r)
        if (r.ok && r.milestoneMessage) tellMoved(r)
      })
      if (last && !data.results.some(function (r) { return !r.ok })) say(last.message, false, placeOf(sent[last.key]))
      queue = queue.filter(function (a) { return !done[a.key] })
      save()
      sending = false
      render(data.sheet)
      showQueue(false)
      if (queue.length > 0) flush()
    }).catch(function (error) {
      sending = false
      const final = error.message === 'denied' || error.message === 'dropped'
      showQueue(!final)
      if (!final) scheduleRetry()
    })
  }

  // A walk-in the server refused (e.g. a phone number it could not read) goes back into
  // the form, so nothing typed is lost.
  function restoreWalkIn (key) {
    const action = queue.filter(function (a) { return a.key === key && a.type === 'walkin' })[0]
    const form = document.getElementById('door-walkin-form')
    if (!action || !form) return
    form.elements.name.value = action.person.name
    form.elements.phone.value = action.person.phone
    form.elements.email.value = action.person.email
    form.elements.name.focus()
  }

  function enqueue (action) {
    queue.push(action)
    save()
    showQueue(false)
    flush()
  }

  if (list && isToday) {
    list.addEventListener('submit', function (e) {
      const form = e.target
      if (!form.classList || !form.classList.contains('door-action')) return
      e.preventDefault()
      const li = form.closest('li')
      const type = form.elements.type.value
      const bookingId = Number(form.elements.booking_id.value)
      // "Ja, fortryd" is the only way a tap undoes; "Tjek ind" on a row already checked in does nothing.
      if ((type === 'in') === li.classList.contains('is-here')) return
      enqueue({ key: newKey(), type, bookingId })
      li.classList.remove('is-asking')
      li.setAttribute('data-changed-at', String(Date.now()))
      setRow(li, type === 'in', true)
      count.textContent = String(list.querySelectorAll('li.is-here').length)
      if (type === 'in') clearSearch()
    })
    list.addEventListener('click', function (e) {
      const link = e.target.closest && e.target.closest('a[data-undo], a[data-keep]')
      if (!link) return
      e.preventDefault()
      const li = link.closest('li')
      if (link.hasAttribute('data-undo')) {
        if (Date.now() - Number(li.getAttribute('data-changed-at') || 0) < UNDO_GUARD_MS) return
        li.classList.add('is-asking')
      } else {
        li.classList.remove('is-asking')
      }
      setRow(li, li.classList.contains('is-here'), li.classList.contains('is-pending'))
      li.querySelector('.door-row-actions a').focus({ preventScroll: true })
    })
  }

  function normalizeCode (text) {
    const compact = String(text).toUpperCase().replace(/[\s-]/g, '')
    const tail = compact.slice(-CODE_LENGTH)
    if (tail.length !== CODE_LENGTH) return null
    for (let i = 0; i < tail.length; i++) if (CODE_ALPHABET.indexOf(tail[i]) === -1) return null
    return tail
  }

  const codeForm = document.getElementById('door-code-form')
  if (codeForm) {
    codeForm.addEventListener('submit', function (e) {
      e.preventDefault()
      const input = codeForm.elements.code
      const code = normalizeCode(input.value)
      if (!code) {
        const short = String(input.value).replace(/[\s-]/g, '').length < CODE_LENGTH
        say(short ? 'Koden skal have 6 tegn, fx K7M 4PX. Tjek koden, og prøv igen.' : 'Koden findes ikke på dette hold. Tjek koden, eller find personen på listen.', true, 'code')
        input.focus()
        return
      }
      input.value = ''
      say('Koden ' + code + ' sendes …', false, 'code')
      enqueue({ key: newKey(), type: 'code', code })
    })
  }

  const walkIn = document.getElementById('door-walkin-form')
  if (walkIn) {
    walkIn.addEventListener('submit', function (e) {
      const name = walkIn.elements.name.value.trim()
      // An empty name goes to the server, which answers next to the field.
      if (name === '') return
      e.preventDefault()
      const overfill = walkIn.elements.overfill
      const action = { key: newKey(), type: 'walkin', person: { name, phone: walkIn.elements.phone.value, email: walkIn.elements.email.value }, overfill: !!(overfill && overfill.checked) }
      const li = makeRow({ bookingId: 0, name, needs: '' })
      li.removeAttribute('data-booking-id')
      li.classList.add('is-walkin-pending')
      li.setAttribute('data-key', action.key)
      const form = li.querySelector('form')
      if (form) form.remove()
      setRow(li, true, true)
      if (list) list.insertBefore(li, list.firstChild)
      walkIn.reset()
      say(name + ' er tilføjet og sendes …', false, 'walkin')
      enqueue(action)
    })
  }

  // The camera: jsQR reads QR codes from the video, a few times a second.
  const scanBox = document.getElementById('door-scan')
  if (scanBox && isToday && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    scanBox.hidden = false
    const startButton = document.getElementById('door-scan-start')
    const stopButton = document.getElementById('door-scan-stop')
    const camera = document.getElementById('door-camera')
    const video = document.getElementById('door-video')
    const status = document.getElementById('door-scan-status')
    const canvas = document.createElement('canvas')
    let stream = null
    let timer = null

    const loadDecoder = function () {
      if (window.jsQR) return Promise.resolve()
      return new Promise(function (resolve, reject) {
        const script = document.createElement('script')
        script.src = '/static/vendor/jsqr/jsQR.js'
        script.onload = function () { resolve() }
        script.onerror = reject
        document.head.appendChild(script)
      })
    }

    const stop = function () {
      if (timer) clearTimeout(timer)
      timer = null
      if (stream) stream.getTracks().forEach(function (t) { t.stop() })
      stream = null
      camera.hidden = true
      startButton.hidden = false
    }

    const tick = function () {
      timer = null
      if (!stream) return
      if (video.readyState >= 2 && video.videoWidth > 0) {
        const scale = Math.min(1, 640 / video.videoWidth)
        canvas.width = Math.round(video.videoWidth * scale)
        canvas.height = Math.round(video.videoHeight * scale)
        const ctx = canvas.getContext('2d', { willReadFrequently: true })
        ctx.drawImage(video, 0, 0, canvas.width, canvas.height)
        const image = ctx.getImageData(0, 0, canvas.width, canvas.height)
        const found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: 'attemptBoth' })
        const code = found ? normalizeCode(found.data) : null
        if (code) {
          stop()
          say('QR-koden er læst. ' + code + ' sendes …', false, 'code')
          enqueue({ key: newKey(), type: 'code', code })
          startButton.focus()
          return
        }
      }
      timer = setTimeout(tick, 150)
    }

    startButton.addEventListener('click', function () {
      status.textContent = 'Hold QR-koden foran kameraet.'
      loadDecoder().then(function () {
        return navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false })
      }).then(function (s) {
        stream = s
        video.srcObject = s
        camera.hidden = false
        startButton.hidden = true
        return video.play()
      }).then(function () {
        stopButton.focus()
        tick()
      }).catch(function () {
        stop()
        say('Kameraet kunne ikke startes. Skriv koden i feltet i stedet.', true, 'code')
      })
    })
    stopButton.addEventListener('click', function () { stop(); startButton.focus() })
  }

  // Move focus to a message or celebration that came with the page (focus reads it out,
  // so it no longer needs to be an alert as well).
  const first = document.getElementById('besked')
  if (first) {
    first.removeAttribute('role')
    window.addEventListener('load', function () { setTimeout(function () { first.focus() }, 0) })
  }

  window.addEventListener('online', flush)
  // Pick up other tablets' check-ins, and retry whatever waits.
  setInterval(function () { if (!sending) flush() }, 15000)
  if (queue.length > 0) {
    showQueue(false)
    flush()
  }
})()
