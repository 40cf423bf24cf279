/* 现场上报: photos (shrunk here), position (GPS, else the photo's EXIF, always draggable),
 * category, description; the rebound / duplicate check before saving; saved to the outbox. */
(function () {
  "use strict";
  var C = window.cunrong, O = C.outbox, t = C.t;
  var cfg = C.config();
  var state = { photos: [], lon: null, lat: null, source: null, accuracy: null, category: null, place: null };
  var $ = function (id) { return document.getElementById(id); };

  var map = C.map($("map"), cfg.center, 14);
  var marker = L.marker([cfg.center[1], cfg.center[0]], { draggable: true, icon: C.pin("", "cr-pin-report"), title: t("问题位置", "Issue position") }).addTo(map);
  marker.on("dragend", function () {
    var ll = marker.getLatLng();
    setPos(ll.lng, ll.lat, "manual", null);
  });

  function say(text, cls) { var m = $("message"); m.textContent = text; m.className = "message " + (cls || ""); }

  var locateTimer = null, outlineLayer = null, outlineFor = null;
  function setPos(lon, lat, source, accuracy) {
    state.lon = lon; state.lat = lat; state.source = source; state.accuracy = accuracy;
    marker.setLatLng([lat, lon]);
    map.setView([lat, lon], Math.max(map.getZoom(), 17));
    var what = { gps: t("手机定位", "phone GPS"), exif: t("照片位置 (EXIF)", "photo position (EXIF)"), manual: t("手动调整", "adjusted by hand") }[source];
    var acc = accuracy ? " ±" + Math.round(accuracy) + " m" : "";
    $("pos-status").textContent = what + acc + " · " + lat.toFixed(6) + ", " + lon.toFixed(6);
    $("pos-status").dataset.source = source;
    clearTimeout(locateTimer);
    locateTimer = setTimeout(showPlace, 250);
  }

  function showPlace() {
    var el = $("place");
    state.place = null;
    if (!navigator.onLine) { el.textContent = t("离线：保存后联网时确定所属村", "Offline: the village is decided when sent"); el.className = "place"; return; }
    C.api("GET", "/locate?lon=" + state.lon + "&lat=" + state.lat).then(function (res) {
      if (res.status === 200) {
        var d = res.data;
        state.place = d;
        if (!outlineLayer || outlineFor !== d.village) { outlineLayer = C.outline(map, d.boundary, outlineLayer); outlineFor = d.village; }
        el.textContent = d.village_name + " " + d.village + (d.grid ? " · " + t("网格 ", "grid ") + d.grid : "") +
          (d.outside_m ? " · " + t("村界外 ", "outside the boundary by ") + Math.round(d.outside_m) + " m" : "");
        el.className = "place ok";
      } else {
        el.textContent = C.placeError(res);
        el.className = "place bad";
      }
    }, function () { el.textContent = t("离线：保存后联网时确定所属村", "Offline: the village is decided when sent"); });
  }

  function locate() {
    if (!navigator.geolocation) { $("pos-status").textContent = t("此浏览器不能定位：请拖动图钉", "No geolocation: drag the pin"); return; }
    $("pos-status").textContent = t("定位中…", "Locating…");
    navigator.geolocation.getCurrentPosition(function (p) {
      if (state.source === "manual") return;
      setPos(p.coords.longitude, p.coords.latitude, "gps", p.coords.accuracy);
    }, function (err) {
      if (state.source) return;
      $("pos-status").textContent = t("无法定位（", "Cannot locate (") + err.message + t("）：用照片位置或拖动图钉", "): using the photo's position or drag the pin");
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  }
  $("relocate").addEventListener("click", function () { state.source = null; locate(); });

  function renderPhotos() {
    var box = $("previews");
    box.innerHTML = "";
    state.photos.forEach(function (p, i) {
      var fig = document.createElement("figure");
      var img = document.createElement("img");
      img.src = p.url; img.alt = t("照片 ", "Photo ") + (i + 1);
      var rm = document.createElement("button");
      rm.type = "button"; rm.className = "remove"; rm.textContent = "✕";
      rm.setAttribute("aria-label", t("删除照片 ", "Remove photo ") + (i + 1));
      rm.addEventListener("click", function () { URL.revokeObjectURL(p.url); state.photos.splice(i, 1); renderPhotos(); });
      fig.appendChild(img); fig.appendChild(rm); box.appendChild(fig);
    });
  }

  $("photos").addEventListener("change", function (ev) {
    var files = Array.prototype.slice.call(ev.target.files || []);
    say(t("正在处理照片…", "Preparing photos…"));
    var chain = Promise.resolve();
    files.forEach(function (file) {
      chain = chain.then(function () {
        var gps = state.source === "gps" || state.source === "manual" ? Promise.resolve(null) : C.exifGps(file);
        return gps.then(function (pos) {
          if (pos && state.source !== "gps" && state.source !== "manual") setPos(pos.lon, pos.lat, "exif", null);
          return C.shrink(file);
        }).then(function (blob) {
          return C.sha256(blob).then(function (sha) {
            state.photos.push({ blob: blob, sha256: sha, url: URL.createObjectURL(blob) });
          });
        });
      });
    });
    chain.then(function () { renderPhotos(); say(""); ev.target.value = ""; },
      function (err) { renderPhotos(); say(err.message, "bad"); ev.target.value = ""; });
  });

  Array.prototype.forEach.call(document.querySelectorAll("#categories .cat"), function (btn) {
    btn.addEventListener("click", function () {
      state.category = btn.dataset.code;
      Array.prototype.forEach.call(document.querySelectorAll("#categories .cat"), function (b) {
        b.setAttribute("aria-pressed", b === btn ? "true" : "false");
      });
    });
  });

  function today() {
    var d = new Date();
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  }

  function warningItem(kind, n) {
    var li = document.createElement("li");
    if (n.thumbnail_url) {
      var img = document.createElement("img");
      img.src = n.thumbnail_url; img.alt = n.code; img.className = "thumb";
      li.appendChild(img);
    }
    var p = document.createElement("span");
    p.textContent = kind + " " + n.code + " · " + Math.round(n.distance_m) + " m · " + (n.description || "");
    li.appendChild(p);
    return li;
  }

  /* Ask the server what saving would find; resolves true to go on, false to stop. */
  function check() {
    if (!navigator.onLine) return Promise.resolve(true);
    var body = { category: state.category, lon: state.lon, lat: state.lat, found_on: today() };
    return C.api("POST", "/issues/check", body).then(function (res) {
      if (res.status !== 200) { say(C.placeError(res), "bad"); return false; }
      var d = res.data, list = $("warning-list");
      list.innerHTML = "";
      if (d.rebound_of) list.appendChild(warningItem(t("反弹：近期已销号的同类问题", "Rebound of a recently closed issue"), d.rebound_of));
      d.possible_duplicates.forEach(function (n) { list.appendChild(warningItem(t("可能重复：附近未销号的同类问题", "Possible duplicate, open nearby"), n)); });
      if (!list.children.length) return true;
      $("warnings").hidden = false;
      $("warnings").scrollIntoView({ block: "center" });
      return new Promise(function (resolve) {
        $("save-anyway").onclick = function () { $("warnings").hidden = true; resolve(true); };
        $("cancel-save").onclick = function () { $("warnings").hidden = true; say(t("已取消，未保存", "Cancelled, nothing saved")); resolve(false); };
      });
    }, function () { return true; });
  }

  $("report").addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!state.photos.length) { say(t("请至少拍一张照片", "Take at least one photo"), "bad"); return; }
    if (state.lon === null) { say(t("还没有位置：请等待定位或拖动图钉", "No position yet: wait for GPS or drag the pin"), "bad"); return; }
    if (!state.category) { say(t("请选择问题类别", "Choose a category"), "bad"); return; }
    $("save").disabled = true;
    check().then(function (go) {
      if (!go) return null;
      var id = C.uuid();
      var rec = {
        id: id, saved_at: Date.now(), user: O.user,
        body: { id: id, category: state.category, lon: state.lon, lat: state.lat, found_on: today(),
                description: $("description").value.trim(), address: $("address").value.trim() || null },
        photos: state.photos.map(function (p) { return { blob: p.blob, sha256: p.sha256 }; }),
        place: state.place ? state.place.village_name : null,
      };
      return O.put(rec).then(function () {
        state.photos.forEach(function (p) { URL.revokeObjectURL(p.url); });
        state.photos = []; state.category = null; renderPhotos();
        $("description").value = ""; $("address").value = "";
        Array.prototype.forEach.call(document.querySelectorAll("#categories .cat"), function (b) { b.setAttribute("aria-pressed", "false"); });
        say(navigator.onLine ? t("已保存，正在上传…", "Saved, sending…") : t("已保存在本机，联网后自动上传", "Saved on this phone; sent when online"), "ok");
        return O.flush();
      });
    }).catch(function (err) { say(err.message, "bad"); })
      .then(function () { $("save").disabled = false; });
  });

  O.onsent = function (rec, code) {
    /* "Saved, sending…" would stay on screen after the send: say it went. */
    if ($("message").classList.contains("ok")) say(t("已上传：", "Sent: ") + code, "ok");
    var li = document.createElement("li");
    li.textContent = code + (rec.place ? " · " + rec.place : "") + " · " + t("已上传", "sent");
    li.className = "ok";
    $("sent").insertBefore(li, $("sent").firstChild);
  };
  O.onchange = function (rows) {
    rows.filter(function (r) { return r.error; }).forEach(function (r) {
      if (document.getElementById("err-" + r.id)) return;
      var li = document.createElement("li");
      li.id = "err-" + r.id; li.className = "bad";
      li.textContent = t("未能上传：", "Not accepted: ") + r.error + " ";
      var del = document.createElement("button");
      del.type = "button"; del.textContent = t("删除", "Delete");
      del.addEventListener("click", function () { O.remove(r.id); li.remove(); });
      li.appendChild(del);
      $("sent").appendChild(li);
    });
  };

  function net() {
    var el = $("net");
    el.textContent = navigator.onLine ? t("在线", "online") : t("离线", "offline");
    el.className = "pill " + (navigator.onLine ? "ok" : "bad");
  }
  window.addEventListener("online", net);
  window.addEventListener("offline", net);
  net();
  locate();
  O.flush();
  window.cunrongReady = true;
})();
