/* 复核: the walk on a map, and 销号 / 未整改 / 整改不到位 on each stop (note, optional photo).
 * A stale version (409) says who changed the issue instead of failing silently. */
(function () {
  "use strict";
  var C = window.cunrong, t = C.t, cfg = C.config();

  C.stopMap(document.getElementById("map"), cfg, { route: true, cardPrefix: "stop-", label: function (p) { return p.order; } });

  var DONE = { close: ["已销号", "closed"], unrectified: ["未整改，退回村整改", "not rectified, back to the village"], inadequate: ["整改不到位，退回村整改", "inadequate, back to the village"] };

  Array.prototype.forEach.call(document.querySelectorAll("form.verdict-form"), function (form) {
    var card = form.closest(".stop"), id = card.dataset.id, done = {};
    var msg = form.querySelector(".message"), stale = form.querySelector(".stale");
    var buttons = form.querySelectorAll(".actions button");
    var say = C.sayIn(msg);
    var enable = function (on) { Array.prototype.forEach.call(buttons, function (b) { b.disabled = !on; }); };
    form.addEventListener("submit", function (ev) { ev.preventDefault(); });
    Array.prototype.forEach.call(buttons, function (btn) {
      btn.addEventListener("click", function () {
        var action = btn.dataset.action;
        var note = form.note.value.trim();
        if (action !== "close" && !note) { say(t("请写明未整改或不到位的原因", "Say what is still wrong"), "bad"); form.note.focus(); return; }
        enable(false); stale.hidden = true; say(t("正在保存…", "Saving…"));
        var files = form.querySelector("input[type=file]").files;
        C.transition(id, files, "other", done, { action: action, version: Number(card.dataset.version), note: note || null }).then(function (res) {
          if (res.status === 200) {
            card.dataset.version = res.data.version;
            card.dataset.status = res.data.status;
            card.classList.add("done");
            card.querySelector(".status").textContent = C.status(res.data.status);
            say(t(DONE[action][0], DONE[action][1]), action === "close" ? "ok" : "bad");
            return;
          }
          if (res.status === 409) {
            return C.staleText(id).then(function (s) {
              stale.textContent = s.text; stale.hidden = false; say("");
              if (s.version) { card.dataset.version = s.version; card.querySelector(".status").textContent = C.status(s.status); }
              enable(true);
            });
          }
          say(C.errorText(res), "bad"); enable(true);
        }).catch(function (err) {
          say(err.offline ? t("网络不通，请联网后再试", "No connection; try again when online") : err.message, "bad");
          enable(true);
        });
      });
    });
  });
  window.cunrongReady = true;
})();
