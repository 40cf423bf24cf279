/* The outbox of field reports: every report is first kept in IndexedDB (idb-keyval, with
 * its photos as Blobs), then sent when there is a connection, in the order saved. Sending is idempotent:
 * the issue carries the client's UUID (POST /issues answers 200 for a retry) and a photo is
 * uploaded only when the issue does not hold one with the same SHA-256 yet.
 *
 * Each report belongs to the user who saved it (rec.user, the page's <meta name="cunrong-user">).
 * A page sends only its own user's reports: on a shared phone, another person's reports stay
 * on the phone, untouched and unseen, until their owner signs in again here; the page only
 * counts them (另有 N 条属于其他账号). Signing out neither sends nor drops them. A report saved
 * by a version before owners were recorded has none: the first person to open the capture
 * page takes it as their own (that version sent it as whoever was signed in). */
(function () {
  "use strict";
  var C = window.cunrong;
  var kv = window.idbKeyval;  // vendored idb-keyval: a promise-based key–value IndexedDB store
  var store = kv.createStore("cunrong-outbox", "reports");
  var O = (C.outbox = {});
  var busy = null;
  var meta = document.querySelector('meta[name="cunrong-user"]');
  /* The signed-in user of this page: the owner of what it saves, and of what it may send. */
  O.user = meta ? meta.content : null;

  O.put = function (rec) {
    if (!rec.user) rec.user = O.user;
    return kv.set(rec.id, rec, store).then(O.refresh);
  };
  O.remove = function (id) { return kv.del(id, store).then(O.refresh); };
  /* Every report waiting on this phone, whoever saved it, oldest first. */
  O.everything = function () {
    return kv.values(store).then(function (rows) {
      return (rows || []).sort(function (a, b) { return a.saved_at - b.saved_at; });
    });
  };
  function mine(rec) { return !!O.user && rec.user === O.user; }
  /* This user's reports waiting, oldest first (one saved before owners were recorded is
   * taken over by this user: see above). */
  O.all = function () {
    return O.everything().then(function (rows) {
      var adopt = rows.filter(function (r) { return !r.user && O.user; });
      return Promise.all(adopt.map(function (r) { r.user = O.user; return kv.set(r.id, r, store); }))
        .then(function () { return rows.filter(mine); });
    });
  };
  /* How many reports wait for other accounts on this phone. */
  O.others = function () {
    return O.everything().then(function (rows) {
      return rows.filter(function (r) { return r.user && !mine(r); }).length;
    });
  };

  O.onchange = function () {};
  O.refresh = function () {
    return Promise.all([O.all(), O.others()]).then(function (both) {
      var rows = both[0], others = both[1];
      var el = document.getElementById("pending");
      if (el) {
        el.hidden = rows.length === 0;
        el.textContent = C.t("待上传 " + rows.length + " 条", rows.length + " waiting to upload");
        el.dataset.count = String(rows.length);
      }
      var el2 = document.getElementById("pending-others");
      if (el2) {
        el2.hidden = others === 0;
        el2.textContent = C.t("另有 " + others + " 条属于其他账号，待其在本机登录后上传",
          others + " more belong to another account: sent when it signs in on this phone");
        el2.dataset.count = String(others);
      }
      O.onchange(rows);
      return rows;
    });
  };

  function failure(res) {
    var e = new Error(C.placeError(res));
    // Worth retrying later: not signed in (yet), rate-limited, or a server fault.
    // A stale CSRF token (the page is old; it is fresh after a reload) is retried too.
    var stale = res.status === 403 && res.data && res.data.error === "csrf_failed";
    e.retry = stale || res.status === 401 || res.status === 408 || res.status === 429 || res.status >= 500;
    return e;
  }

  function send(rec) {
    return C.api("POST", "/issues", rec.body).then(function (res) {
      if (res.status !== 200 && res.status !== 201) throw failure(res);
      var code = res.data.code;
      if (!rec.photos.length) return code;
      return C.api("GET", "/issues/" + rec.id).then(function (got) {
        if (got.status !== 200) throw failure(got);
        var have = (got.data.properties.photos || []).map(function (p) { return p.sha256; });
        var chain = Promise.resolve();
        rec.photos.forEach(function (p, i) {
          if (have.indexOf(p.sha256) >= 0) return;
          chain = chain.then(function () {
            var fd = new FormData();
            fd.append("file", p.blob, "photo-" + (i + 1) + ".jpg");
            fd.append("kind", "before");
            return C.api("POST", "/issues/" + rec.id + "/photos", fd).then(function (up) {
              if (up.status !== 201 && up.status !== 200) throw failure(up);
            });
          });
        });
        return chain.then(function () { return code; });
      });
    });
  }

  O.idle = function () { return busy === null; };
  O.onsent = function () {};
  /* Send what is waiting for this user; stops at the first connection failure (the rest
   * waits). Another user's reports are never sent from this page; and a page left open
   * after its user signed out (its CSRF token is its own session's) cannot send as the
   * next one either: the server refuses the token and the report waits. */
  O.flush = function () {
    if (busy) return busy;
    busy = O.all().then(function (rows) {
      var chain = Promise.resolve(false);
      rows.forEach(function (rec) {
        chain = chain.then(function (stop) {
          if (stop || rec.error || !mine(rec)) return stop;
          return send(rec).then(function (code) {
            return O.remove(rec.id).then(function () { O.onsent(rec, code); return false; });
          }, function (err) {
            if (err.offline || err.retry) { O.lastError = err.message; return true; }
            rec.error = err.message;
            return O.put(rec).then(function () { return false; });
          });
        });
      });
      return chain;
    }).then(O.refresh, O.refresh).catch(function () { return []; })
      .then(function (rows) { busy = null; return rows; });
    return busy;
  };

  window.addEventListener("online", function () { O.flush(); });
  setInterval(function () { if (navigator.onLine) O.flush(); }, 20000);
})();
