/* Offline copies of the pages, on every page (base.html).
 *
 * Signed in (the page carries <meta name="cunrong-user">): register the service worker
 * (/sw.js, scope /) and ask it to keep this page and the map it frames when their requests
 * went past the worker (not answered by it); unregister the narrower /pages/ and /maps/
 * copies an earlier version registered. Signing out empties the kept pages before the form is sent.
 * Not signed in (the sign-in page after signing out, or after a session ended): the kept
 * pages are emptied, so the next person on this phone gets none of them.
 *
 * A kept copy shown offline (the worker's banner #cunrong-offline): a form that posts to the
 * server cannot work, so its buttons are disabled and the banner says so (the capture page
 * is not concerned: it saves to the phone's outbox, not by posting a form). */
(function () {
  "use strict";
  var PAGES_CACHE = "cunrong-pages-v1";
  var meta = document.querySelector('meta[name="cunrong-user"]');

  /* Empty the kept pages, and tell the worker (a keep it is still making must not put a
   * page back after this). */
  function forget() {
    try {
      var worker = navigator.serviceWorker && navigator.serviceWorker.controller;
      if (worker) worker.postMessage({ forget: true });
    } catch (e) { /* no worker: nothing is being kept */ }
    if (!window.caches) return Promise.resolve();
    return caches.delete(PAGES_CACHE).catch(function () {});
  }
  window.cunrongOffline = { forget: forget };

  var SIGNED_OUT_PENDING = "cunrong.pendingAtSignOut";
  if (!meta) {
    forget();
    /* Signed out with reports still waiting (outbox.js): they stay on this phone for their
     * owner and go out when they sign in here again; say so on the sign-in page. */
    var n = null;
    try { n = window.sessionStorage.getItem(SIGNED_OUT_PENDING); window.sessionStorage.removeItem(SIGNED_OUT_PENDING); } catch (e) { n = null; }
    var main = document.querySelector("main");
    if (n && main) {
      var note = document.createElement("p");
      note.id = "pending-at-sign-out";
      note.className = "notice";
      note.setAttribute("role", "status");
      note.innerHTML = "你还有 " + Number(n) + " 条记录在本机待上传：它们留在本机，你再次登录后自动上传，其他账号不会上传。" +
        ' <span lang="en" class="en">' + Number(n) + " of your reports wait on this phone: they stay here and are sent" +
        " when you sign in again; no other account sends them.</span>";
      var form = document.getElementById("login-form");
      if (form) form.parentNode.insertBefore(note, form);
      else main.insertBefore(note, main.firstChild);
    }
    return;
  }

  function isLogout(form) { return form.getAttribute("action") === "/logout"; }

  /* How many of this user's captures wait in the outbox (outbox.js's IndexedDB store),
   * read here because only the capture page loads outbox.js and only it sends them: an
   * inspector who saved offline and then reads other pages is shown 待上传 N 条 in the header,
   * linked to the capture page, and told on the sign-in page after signing out from any page.
   * Opening the database creates the store the way idb-keyval's createStore does, so the
   * outbox finds it as its own. */
  function waitingOf(user) {
    return new Promise(function (resolve) {
      var req;
      try { req = window.indexedDB.open("cunrong-outbox"); } catch (e) { resolve(0); return; }
      req.onupgradeneeded = function () { req.result.createObjectStore("reports"); };
      req.onerror = function () { resolve(0); };
      req.onsuccess = function () {
        var db = req.result;
        try {
          var all = db.transaction("reports", "readonly").objectStore("reports").getAll();
          all.onsuccess = function () {
            db.close();
            resolve((all.result || []).filter(function (r) { return r && r.user === user; }).length);
          };
          all.onerror = function () { db.close(); resolve(0); };
        } catch (e) { db.close(); resolve(0); }
      };
    });
  }
  var waiting = waitingOf(meta.content);
  if (!document.getElementById("pending")) {  /* the capture page counts (and sends) its own */
    waiting.then(function (count) {
      var who = document.querySelector("header.top .who");
      if (!count || !who) return;
      var zh = (document.documentElement.lang || "zh").indexOf("zh") === 0;
      var a = document.createElement("a");
      a.id = "pending-elsewhere";
      a.href = "/pages/report";
      a.dataset.count = String(count);
      a.textContent = zh ? "待上传 " + count + " 条" : count + " waiting to upload";
      a.title = zh ? "在现场上报页联网时上传" : "Sent from the report page when online";
      a.style.background = "#fef3c7";
      a.style.color = "#b45309";
      a.style.fontWeight = "600";
      who.insertBefore(a, who.firstChild);
    });
  }

  var shown = document.getElementById("cunrong-offline");
  if (shown) {
    /* Forms that post to the server: disabled, with a line in the banner. */
    var posting = Array.prototype.filter.call(document.querySelectorAll("form"), function (form) {
      return (form.getAttribute("method") || "get").toLowerCase() === "post" && !isLogout(form);
    });
    posting.forEach(function (form) {
      form.querySelectorAll('button, input[type="submit"]').forEach(function (b) {
        if (b.type !== "submit") return;
        b.disabled = true;
        b.dataset.offlineDisabled = "1";
        b.title = "离线时不能提交 / Cannot be sent offline";
      });
      form.addEventListener("submit", function (ev) { ev.preventDefault(); });
    });
    if (posting.length) {
      var line = document.createElement("div");
      line.id = "cunrong-forms-offline";
      line.style.fontWeight = "400";
      line.innerHTML = "本页的表单离线时不能提交，联网后刷新再填 " +
        '<span lang="en">/ Forms on this page cannot be sent offline: reload when online</span>';
      shown.appendChild(line);
    }
    /* A reload (or back/forward) puts the reader back where they were by the element that
     * was at the top of the screen (Chromium's scroll anchor). Read at the top of the page,
     * that is the header, which the banner now pushes down: the copy opened scrolled by the
     * banner's height, the header and its navigation hidden above. Back to the top then; a
     * reader who was further down keeps their place. */
    var how = "";
    try { how = performance.getEntriesByType("navigation")[0].type; } catch (e) { how = ""; }
    if (how === "reload" || how === "back_forward") {
      var restored = function () {
        var height = shown.getBoundingClientRect().height;
        if (Math.abs(window.scrollY - height) <= 2) window.scrollTo(0, 0);
      };
      window.addEventListener("scroll", restored, { once: true });
      window.addEventListener("load", function () {
        /* The restoring scroll comes with the first frame after load, or not at all. */
        window.setTimeout(function () { window.removeEventListener("scroll", restored); }, 1000);
      });
    }
    /* Once the connection is back, offer the fresh page rather than reloading by itself (a
     * capture may be half-typed); the disabled buttons come back with the fresh page. */
    window.addEventListener("online", function () {
      if (document.getElementById("cunrong-back")) return;
      var a = document.createElement("a");
      a.id = "cunrong-back";
      a.href = location.href;
      a.textContent = " 已联网，点此刷新 / Online again: reload";
      a.style.marginLeft = "8px";
      shown.insertBefore(a, shown.querySelector("#cunrong-forms-offline"));
    });
  }

  document.querySelectorAll('form[action="/logout"]').forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (form.dataset.forgotten) return;
      ev.preventDefault();
      form.dataset.forgotten = "1";
      var outbox = window.cunrong && window.cunrong.outbox;
      var counted = outbox ? outbox.all().then(function (rows) { return rows.length; }) : waitingOf(meta.content);
      counted.then(function (count) {
        try { if (count) window.sessionStorage.setItem(SIGNED_OUT_PENDING, String(count)); } catch (e) { /* private mode */ }
      }).catch(function () {}).then(forget).then(function () { form.submit(); });
    });
  });

  /* Signing out needs the server (it ends the session there). Without a connection the post
   * would only fail on the browser's error page while the session stays signed in on this
   * phone, and the kept pages would be emptied for nothing: say so and do nothing instead.
   * (Runs in the capture phase, before the sign-out handler above.) */
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form || !isLogout(form) || navigator.onLine !== false) return;
    ev.preventDefault();
    ev.stopPropagation();
    var zh = (document.documentElement.lang || "zh").indexOf("zh") === 0;
    var text = zh ? "离线时不能退出：账号仍在本机登录。联网后再点“退出”。"
      : "You cannot sign out offline: you are still signed in on this phone. Sign out again when online.";
    var note = document.getElementById("offline-sign-out");
    if (!note) {
      note = document.createElement("p");
      note.id = "offline-sign-out";
      note.className = "error-box";
      note.setAttribute("role", "alert");
      var main = document.querySelector("main");
      if (main) main.insertBefore(note, main.firstChild);
    }
    note.textContent = text;
    note.scrollIntoView({ block: "nearest" });
  }, true);

  if (!("serviceWorker" in navigator)) return;
  var sw = navigator.serviceWorker;
  /* The worker used to be registered twice, for /pages/ and for /maps/; one for / now. */
  if (sw.getRegistrations) {
    sw.getRegistrations().then(function (regs) {
      regs.forEach(function (r) {
        var scope = new URL(r.scope).pathname;
        if (scope === "/pages/" || scope === "/maps/") r.unregister();
      });
    }).catch(function () {});
  }
  var ready = sw.register("/sw.js", { scope: "/" }).then(function () {
    return sw.ready;
  }).catch(function () { return null; });
  function keep(href) {
    ready.then(function (reg) { if (reg && reg.active) reg.active.postMessage({ keep: [href] }); }).catch(function () {});
  }
  /* Whether the worker answered this document's own request (and so kept it). Being
   * controlled now is not enough: on the first visits the worker installs and claims the
   * page while its request is in flight, so the page is controlled but was fetched past the
   * worker. The navigation timing says it: workerStart is 0 unless a worker handled it. */
  function answeredByWorker(win) {
    try {
      var nav = win.performance.getEntriesByType("navigation")[0];
      if (nav) return nav.workerStart > 0;
    } catch (e) { /* no navigation timing: fall back to the controller */ }
    try { return !!win.navigator.serviceWorker.controller; } catch (e) { return false; }
  }
  if (!answeredByWorker(window)) keep(location.href);
  /* A framed map not answered through the worker (not yet active) is kept too. */
  document.querySelectorAll("iframe.map").forEach(function (f) {
    function loaded() {
      if (!answeredByWorker(f.contentWindow)) keep(f.src);
    }
    if (f.contentDocument && f.contentDocument.readyState === "complete" && f.contentWindow.location.href !== "about:blank") loaded();
    else f.addEventListener("load", loaded);
  });
})();
