/* The outbox of field reports: every report is first kept in IndexedDB (idb-keyval, with
 * its photos as Blobs), then sent when there is a connection, in the order saved. Sending is idempotent:
 * the issue carries the client's UUID (POST /issues answers 200 for a retry) and a photo is
 * uploaded only when the issue does not hold one with the same SHA-256 yet. */
(function () {
  "use strict";
  var C = window.cunrong;
  var kv = window.idbKeyval;  // vendored idb-keyval: a promise-based key–value IndexedDB store
  var store = kv.createStore("cunrong-outbox", "reports");
  var O = (C.outbox = {});
  var busy = null;

  O.put = function (rec) { return kv.set(rec.id, rec, store).then(O.refresh); };
  O.remove = function (id) { return kv.del(id, store).then(O.refresh); };
  O.all = function () {
    return kv.values(store).then(function (rows) {
      return (rows || []).sort(function (a, b) { return a.saved_at - b.saved_at; });
    });
  };

  O.onchange = function () {};
  O.refresh = function () {
    return O.all().then(function (rows) {
      var el = document.getElementById("pending");
      if (el) {
        el.hidden = rows.length === 0;
        el.textContent = C.t("待上传 " + rows.length + " 条", rows.length + " waiting to upload");
        el.dataset.count = String(rows.length);
      }
      O.onchange(rows);
      return rows;
    });
  };

  function failure(res) {
    var e = new Error(C.errorText(res));
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
  /* Send what is waiting; stops at the first connection failure (the rest waits). */
  O.flush = function () {
    if (busy) return busy;
    busy = O.all().then(function (rows) {
      var chain = Promise.resolve(false);
      rows.forEach(function (rec) {
        chain = chain.then(function (stop) {
          if (stop || rec.error) return stop;
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
