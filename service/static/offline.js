/* Offline copies of the field pages, on every page (base.html).
 *
 * Signed in (the page carries <meta name="cunrong-user">): register the service worker for
 * /pages/ and /maps/ (sw.js), and ask it to keep this page and the map it frames when the
 * page was opened before the worker controlled it. Signing out empties the kept pages before
 * the form is sent. Not signed in (the sign-in page after signing out, or after a session
 * ended): the kept pages are emptied, so the next person on this phone gets none of them. */
(function () {
  "use strict";
  var PAGES_CACHE = "cunrong-pages-v1";
  var meta = document.querySelector('meta[name="cunrong-user"]');

  function forget() {
    if (!window.caches) return Promise.resolve();
    return caches.delete(PAGES_CACHE).catch(function () {});
  }
  window.cunrongOffline = { forget: forget };

  if (!meta) { forget(); return; }

  /* A kept copy shown offline (the worker's banner): once the connection is back, offer the
   * fresh page rather than reloading by itself (a capture may be half-typed). */
  var shown = document.getElementById("cunrong-offline");
  if (shown) {
    window.addEventListener("online", function () {
      if (document.getElementById("cunrong-back")) return;
      var a = document.createElement("a");
      a.id = "cunrong-back";
      a.href = location.href;
      a.textContent = " 已联网，点此刷新 / Online again: reload";
      a.style.marginLeft = "8px";
      shown.appendChild(a);
    });
  }

  document.querySelectorAll('form[action="/logout"]').forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (form.dataset.forgotten) return;
      ev.preventDefault();
      form.dataset.forgotten = "1";
      forget().then(function () { form.submit(); });
    });
  });

  if (!("serviceWorker" in navigator)) return;
  var sw = navigator.serviceWorker;
  var controlled = !!sw.controller;
  sw.register("/maps/sw.js", { scope: "/maps/" }).catch(function () {});
  var ready = sw.register("/pages/sw.js", { scope: "/pages/" }).then(function () {
    return location.pathname.indexOf("/pages/") === 0 ? sw.ready : null;
  }).catch(function () { return null; });
  function keep(href) {
    ready.then(function (reg) { if (reg && reg.active) reg.active.postMessage({ keep: [href] }); }).catch(function () {});
  }
  if (!controlled) keep(location.href);
  /* A framed map not answered through the /maps/ worker (not yet active) is kept too. */
  document.querySelectorAll("iframe.map").forEach(function (f) {
    function loaded() {
      var inner = null;
      try { inner = f.contentWindow.navigator.serviceWorker.controller; } catch (e) { inner = null; }
      if (!inner) keep(f.src);
    }
    if (f.contentDocument && f.contentDocument.readyState === "complete" && f.contentWindow.location.href !== "about:blank") loaded();
    else f.addEventListener("load", loaded);
  });
})();
