/* 本村整改: the map of the village's issues, and 提交整改 (after-photos + note) on each. */
(function () {
  "use strict";
  var C = window.cunrong, t = C.t, cfg = C.config();

  C.stopMap(document.getElementById("map"), cfg, {
    cardPrefix: "issue-",
    label: function (p, i) { return i + 1; },
    cls: function (p) { return p.overdue ? " late" : ""; },
  });

  Array.prototype.forEach.call(document.querySelectorAll("form.submit-form"), function (form) {
    var card = form.closest(".issue"), id = card.dataset.id, done = {};
    var msg = form.querySelector(".message"), button = form.querySelector("button[type=submit]");
    var say = C.sayIn(msg);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var files = form.querySelector("input[type=file]").files;
      if (!files.length) { say(t("请先拍整改后照片", "Take an after-photo first"), "bad"); return; }
      button.disabled = true;
      say(t("正在上传照片…", "Uploading photos…"));
      C.transition(id, files, "after", done, { action: "submit", version: Number(card.dataset.version), note: form.note.value.trim() || null }).then(function (res) {
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
