/* 本村整改: the map of the village's issues, and 提交整改 (after-photos + note) on each. */
(function () {
  "use strict";
  var C = window.cunrong, t = C.t, cfg = C.config();

  var el = document.getElementById("map");
  if (el && cfg.points.length) {
    var map = C.map(el, [cfg.points[0].lon, cfg.points[0].lat], 16);
    C.outline(map, cfg.outline);
    var bounds = [];
    cfg.points.forEach(function (p, i) {
      var m = L.marker([p.lat, p.lon], { icon: C.pin(String(i + 1), "cr-num" + (p.overdue ? " late" : "")), title: p.code }).addTo(map);
      m.on("click", function () { document.getElementById("issue-" + p.id).scrollIntoView({ behavior: "smooth" }); });
      bounds.push([p.lat, p.lon]);
    });
    if (bounds.length > 1) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 18 });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form.submit-form"), function (form) {
    var card = form.closest(".issue"), id = card.dataset.id, done = {};
    var msg = form.querySelector(".message"), button = form.querySelector("button[type=submit]");
    var say = function (text, cls) { msg.textContent = text; msg.className = "message " + (cls || ""); };
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var files = form.querySelector("input[type=file]").files;
      if (!files.length) { say(t("请先拍整改后照片", "Take an after-photo first"), "bad"); return; }
      button.disabled = true;
      say(t("正在上传照片…", "Uploading photos…"));
      C.uploadPhotos(id, files, "after", done).then(function (ids) {
        var body = { action: "submit", version: Number(card.dataset.version), note: form.note.value.trim() || null, photo_ids: ids };
        return C.api("POST", "/issues/" + id + "/transitions", body);
      }).then(function (res) {
        if (res.status === 200) {
          say(t("已提交，等待复核", "Submitted; waiting for the recheck"), "ok");
          card.dataset.version = res.data.version;
          card.querySelector(".status").textContent = C.status(res.data.status);
          form.querySelectorAll("input, textarea, button").forEach(function (x) { x.disabled = true; });
          return;
        }
        if (res.status === 409) {
          return C.staleText(id).then(function (s) { say(s.text, "bad"); if (s.version) card.dataset.version = s.version; button.disabled = false; });
        }
        say(C.errorText(res), "bad"); button.disabled = false;
      }).catch(function (err) {
        say(err.offline ? t("网络不通，请联网后再提交", "No connection; submit again when online") : err.message, "bad");
        button.disabled = false;
      });
    });
  });
  window.cunrongReady = true;
})();
