// labboot's dashboard: keeps the page current and asks before a removal.
// Every few seconds it reads this same page again and swaps in each block
// marked data-live, unless the user is in the middle of a form in it; the
// pages work without it, only without the refresh.
'use strict';
(function () {
  const PERIOD_MS = 4000;
  let busy = false;

  function swap(doc) {
    document.querySelectorAll('[data-live]').forEach(function (el) {
      const fresh = doc.getElementById(el.id);
      if (!fresh || el.contains(document.activeElement))
        return;
      el.replaceWith(document.importNode(fresh, true));
    });
  }

  function status(text, bad) {
    const s = document.getElementById('live-status');
    if (s) {
      s.textContent = text;
      s.className = bad ? 'bad' : '';
    }
  }

  function refresh() {
    if (busy || document.hidden)
      return;
    busy = true;
    fetch(location.pathname, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) {
        if (!r.ok)
          throw new Error('HTTP ' + r.status);
        return r.text();
      })
      .then(function (html) {
        swap(new DOMParser().parseFromString(html, 'text/html'));
        status('live ' + new Date().toLocaleTimeString(), false);
      })
      .catch(function (e) { status('not updated: ' + e.message, true); })
      .finally(function () { busy = false; });
  }

  document.addEventListener('submit', function (ev) {
    if (ev.target.classList.contains('confirm') && !window.confirm('Sure?'))
      ev.preventDefault();
  });
  if (document.querySelector('[data-live]')) {
    status('live', false);
    setInterval(refresh, PERIOD_MS);
  }
})();
