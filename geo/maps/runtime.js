/* cunrong map runtime: draws the town's layers from compact JSON.
 * Every text that may come from a user is set with textContent, never parsed as HTML. */
(function () {
  "use strict";
  var cr = (window.cunrong = {});
  var pending = 0;
  var finished = false;

  function el(tag, cls, txt) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (txt !== undefined && txt !== null) node.textContent = String(txt);
    return node;
  }
  cr.el = el;

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (ch) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch];
    });
  }
  cr.esc = esc;

  function ready() {
    if (finished && pending === 0 && !window.cunrongReady) {
      window.cunrongReady = true;
      if (window.performance && performance.mark) performance.mark("cunrong-ready");
      document.documentElement.setAttribute("data-cunrong-ready", "1");
    }
  }
  cr.done = function () {
    finished = true;
    ready();
  };

  function stopEvents(div) {
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
  }

  function layerControl(map) {
    if (!map._crControl) {
      map._crControl = L.control.layers(null, null, { collapsed: true, position: "topright" });
      map._crControl.addTo(map);
    }
    return map._crControl;
  }

  function overlay(map, layer, name, show) {
    if (show !== false) layer.addTo(map);
    layerControl(map).addOverlay(layer, esc(name));
    return layer;
  }

  cr.setup = function (map, o) {
    map.setMaxZoom(o.maxZoom);
    map.getContainer().classList.add("cr-map");
    if (o.lang) map.getContainer().setAttribute("lang", o.lang === "zh" ? "zh-CN" : "en");
    function zoomClass() {
      map.getContainer().classList.toggle("cr-zoom-far", map.getZoom() < o.detailZoom);
    }
    map.on("zoomend", zoomClass);
    map.whenReady(zoomClass);
  };

  /* Phone width: legends and side panels start folded (one tap opens them) so that the
   * map itself is what a phone shows first. */
  var NARROW_PX = 700;
  /* A village drawn smaller than this (square root of its share of the town's box, in CSS
   * pixels) is too small for a two-line label. */
  var CROWDED_PX = 64;
  function wide() {
    return window.innerWidth > NARROW_PX;
  }

  /* Look at the selection at once (no animation), clear of the title (and of a side panel,
   * `pad.left`, when the panel is shown open: not at phone width, where it starts folded;
   * on a phone `pad.rightNarrow` keeps room for symbols drawn right of the east villages). */
  cr.fit = function (map, bounds, pad) {
    var left = wide() && pad.left ? pad.left : pad.side;
    var right = !wide() && pad.rightNarrow ? pad.rightNarrow : pad.side;
    map.fitBounds(bounds, {
      paddingTopLeft: [left, pad.top],
      paddingBottomRight: [right, pad.side],
      animate: false,
    });
  };

  cr.basemaps = function (map, layers) {
    var ctl = layerControl(map);
    var active = null;
    layers.forEach(function (b) {
      var parts = b.tiles.map(function (t) {
        return L.tileLayer(t.url, {
          subdomains: t.subdomains,
          maxZoom: t.maxZoom,
          attribution: t.attribution,
          className: "cr-tiles",
        });
      });
      var layer = parts.length === 1 ? parts[0] : L.layerGroup(parts);
      ctl.addBaseLayer(layer, esc(b.name));
      if (b.active) active = layer;
    });
    if (active) active.addTo(map);
  };

  cr.title = function (map, title, subtitle) {
    var div = el("div", "cr-title");
    div.appendChild(el("div", "cr-title-main", title));
    if (subtitle) div.appendChild(el("div", "cr-title-sub", subtitle));
    map.getContainer().appendChild(div);
    stopEvents(div);
  };

  function tipTable(rows) {
    var table = el("table", "cr-tip");
    rows.forEach(function (r) {
      var tr = el("tr");
      if (r.length === 1) {
        var th = el("th", "cr-tip-head", r[0]);
        th.colSpan = 2;
        tr.appendChild(th);
      } else {
        tr.appendChild(el("th", null, r[0]));
        tr.appendChild(el("td", null, r[1]));
      }
      table.appendChild(tr);
    });
    return table;
  }
  cr.tipTable = tipTable;

  /* A label at `pt`; a two-line text ("★1\n大部各庄") keeps its lines apart (.cr-label-lead,
   * .cr-label-name) so that a crowded map can show the first line only. */
  function label(pt, text, cls) {
    var span = el("span", "cr-label-text");
    var cut = String(text).indexOf("\n");
    if (cut < 0) span.textContent = String(text);
    else {
      span.appendChild(el("span", "cr-label-lead", text.slice(0, cut)));
      span.appendChild(el("span", "cr-label-name", text.slice(cut + 1)));
    }
    return L.marker(pt, {
      icon: L.divIcon({ className: "cr-label " + (cls || ""), html: span, iconSize: null }),
      interactive: false,
      keyboard: false,
    });
  }

  /* Village, grid or community boundaries with names; o.tip lists [heading, property]. */
  cr.boundaries = function (map, gj, o) {
    var group = L.featureGroup();
    var shapes = L.geoJSON(gj, {
      style: function () {
        return o.style;
      },
      onEachFeature: function (f, layer) {
        if (o.tip) {
          layer.bindTooltip(
            function () {
              return tipTable(
                o.tip.map(function (t) {
                  return t.length === 1 ? [f.properties[t[0]]] : [t[0], f.properties[t[1]]];
                })
              );
            },
            { sticky: true }
          );
        }
      },
    });
    group.addLayer(shapes);
    if (o.labels) {
      gj.features.forEach(function (f) {
        if (f.properties._pt && f.properties.name) {
          group.addLayer(label(f.properties._pt, f.properties.name, o.labelClass));
        }
      });
    }
    overlay(map, group, o.name, o.show);
    if (o.back) shapes.bringToBack();
    return group;
  };

  function str(d, key, i) {
    var t = d.t && d.t[key];
    if (!t) return "";
    var k = t.k[i];
    return k === null || k < 0 ? "" : t.v[k];
  }

  function day(d, key, i) {
    var v = d[key] ? d[key][i] : null;
    if (v === null || v === undefined) return "";
    return new Date((d.d0 + v) * 86400000).toISOString().slice(0, 10);
  }

  function safeUrl(u) {
    return /^(https?:\/\/|\/(?!\/)|data:image\/)/i.test(u) ? u : null;
  }

  function issuePopup(d, i, o) {
    var T = o.text;
    var cat = o.categories[d.c[i]];
    var st = o.statuses[d.s[i]];
    var box = el("div", "cr-popup");
    var head = el("div", "cr-pop-head");
    head.style.borderLeftColor = cat.color;
    head.appendChild(el("b", null, cat.label));
    if (d.code) head.appendChild(el("span", "cr-pop-code", d.code[i]));
    box.appendChild(head);
    var tags = el("div", "cr-pop-tags");
    tags.appendChild(el("span", "cr-tag cr-tag-" + st.code, st.label));
    if (d.od[i] > 0) tags.appendChild(el("span", "cr-tag cr-tag-overdue", T.overdue + " " + d.od[i] + T.days));
    if (d.f[i] & 2) tags.appendChild(el("span", "cr-tag cr-tag-rebound", "↺ " + T.rebound));
    box.appendChild(tags);
    var desc = str(d, "ds", i);
    if (desc) box.appendChild(el("p", "cr-pop-desc", desc));
    var rows = [
      [T.found_on, day(d, "fo", i)],
      [T.deadline, day(d, "dl", i)],
      [T.overdue_days, d.od[i] > 0 ? String(d.od[i]) : ""],
      [T.closed_on, day(d, "cl", i)],
      [T.village, str(d, "vn", i)],
      [T.grid, str(d, "gn", i)],
    ].filter(function (r) {
      return r[1];
    });
    box.appendChild(tipTable(rows));
    var hist = str(d, "hi", i);
    if (hist) {
      var h = el("div", "cr-pop-history");
      h.appendChild(el("b", null, T.history + ": "));
      h.appendChild(document.createTextNode(hist));
      box.appendChild(h);
    }
    var photos = d.p && d.p[String(i)];
    if (photos && photos.length) {
      var strip = el("div", "cr-pop-photos");
      photos.forEach(function (u) {
        var url = safeUrl(u);
        if (!url) return;
        var a = el("a");
        a.href = url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        var img = el("img");
        img.loading = "lazy";
        img.alt = T.photos;
        img.src = url;
        a.appendChild(img);
        strip.appendChild(a);
      });
      box.appendChild(strip);
    }
    return box;
  }
  cr.issuePopup = issuePopup;

  function legendControl(map, position, title, build, open) {
    var ctl = L.control({ position: position || "bottomright" });
    ctl.onAdd = function () {
      var div = el("details", "cr-legend leaflet-bar");
      if (open !== false && wide()) div.open = true;
      div.appendChild(el("summary", "cr-legend-title", title));
      build(div);
      stopEvents(div);
      return div;
    };
    ctl.addTo(map);
    return ctl;
  }

  function swatch(e) {
    var sw = el("i", "cr-swatch cr-shape-" + (e.shape || "box"));
    if (e.fill) sw.style.background = e.fill;
    if (e.fill && e.fill.indexOf("gradient") >= 0) sw.style.width = "44px";
    if (e.stroke) sw.style.borderColor = e.stroke;
    if (e.weight !== undefined) sw.style.borderWidth = e.weight + "px";
    if (e.dash) sw.style.borderStyle = "dashed";
    if (e.size) {
      sw.style.width = e.size + "px";
      sw.style.height = e.size + "px";
    }
    if (e.glyph) sw.textContent = e.glyph;
    return sw;
  }

  /* A legend of sections of entries {label, fill, stroke, weight, dash, shape, size}. */
  cr.legend = function (map, o) {
    return legendControl(map, o.position, o.title, function (div) {
      o.sections.forEach(function (s) {
        if (s.title) div.appendChild(el("div", "cr-legend-head", s.title));
        s.entries.forEach(function (e) {
          var row = el("div", "cr-entry");
          row.appendChild(swatch(e));
          row.appendChild(el("span", "cr-entry-label", e.label));
          div.appendChild(row);
        });
      });
      if (o.note) div.appendChild(el("div", "cr-legend-note", o.note));
    });
  };

  function pinHtml(cat, st, flags) {
    return (
      '<span class="cr-pin cr-st-' + st.code + '" style="background:' + cat.color + '">' +
      esc(cat.glyph) + "</span>" +
      (flags & 1 ? '<b class="cr-badge cr-badge-overdue">!</b>' : "") +
      (flags & 2 ? '<b class="cr-badge cr-badge-rebound">↺</b>' : "")
    );
  }

  /* Issue points from one columnar JSON payload: clustered pins or canvas dots. */
  cr.issues = function (map, d, o) {
    var n = d.x.length;
    var sc = d.scale;
    var x0 = d.origin[0];
    var y0 = d.origin[1];
    var cats = o.categories;
    var sts = o.statuses;
    var markers = new Array(n);
    var icons = {};
    var canvas = o.cluster ? null : L.canvas({ padding: 0.3 });
    var i;
    for (i = 0; i < n; i++) {
      var ll = [y0 + d.y[i] / sc, x0 + d.x[i] / sc];
      var flags = d.f[i];
      var m;
      if (o.cluster) {
        var key = d.c[i] * 1000 + d.s[i] * 10 + flags;
        if (!icons[key]) {
          icons[key] = L.divIcon({
            className: "cr-issue",
            html: pinHtml(cats[d.c[i]], sts[d.s[i]], flags),
            iconSize: [24, 24],
            iconAnchor: [12, 12],
            popupAnchor: [0, -10],
          });
        }
        m = L.marker(ll, { icon: icons[key], keyboard: false });
      } else {
        m = L.circleMarker(ll, {
          renderer: canvas,
          radius: 5,
          weight: flags & 1 ? 2.5 : 1,
          color: flags & 1 ? "#c00000" : "#333",
          fillColor: cats[d.c[i]].color,
          fillOpacity: 0.9,
        });
      }
      m._cr = i;
      markers[i] = m;
    }
    var group = o.cluster
      ? L.markerClusterGroup({
          chunkedLoading: true,
          chunkInterval: 400,
          chunkDelay: 10,
          maxClusterRadius: 45,
          spiderfyOnMaxZoom: true,
          showCoverageOnHover: false,
          chunkProgress: function (done, total) {
            if (done >= total && group._crLoading) {
              group._crLoading = false;
              pending -= 1;
              ready();
            }
          },
        })
      : L.featureGroup();
    group.on("click", function (e) {
      var idx = e.layer._cr;
      if (idx === undefined) return;
      L.popup({ maxWidth: 320, minWidth: 220, autoPanPadding: [20, 20] })
        .setLatLng(e.layer.getLatLng())
        .setContent(issuePopup(d, idx, o))
        .openOn(map);
    });
    overlay(map, group, o.name, true);
    if (o.cluster && n) {
      group._crLoading = true;
      pending += 1;
      group.addLayers(markers);
    } else {
      markers.forEach(function (m) {
        group.addLayer(m);
      });
    }

    var showCat = cats.map(function () {
      return true;
    });
    var showSt = sts.map(function () {
      return true;
    });
    var catCount = cats.map(function () {
      return 0;
    });
    var stCount = sts.map(function () {
      return 0;
    });
    for (i = 0; i < n; i++) {
      catCount[d.c[i]] += 1;
      stCount[d.s[i]] += 1;
    }

    function toggle(byCat, idx, on) {
      var change = [];
      for (var j = 0; j < n; j++) {
        var hit = byCat ? d.c[j] === idx && showSt[d.s[j]] : d.s[j] === idx && showCat[d.c[j]];
        if (hit) change.push(markers[j]);
      }
      (byCat ? showCat : showSt)[idx] = on;
      if (o.cluster) {
        if (on) group.addLayers(change);
        else group.removeLayers(change);
      } else {
        change.forEach(function (m) {
          if (on) group.addLayer(m);
          else group.removeLayer(m);
        });
      }
    }

    function entry(div, byCat, idx, count, sw) {
      var row = el("label", "cr-entry cr-toggle");
      var box = el("input");
      box.type = "checkbox";
      box.checked = true;
      box.setAttribute("data-kind", byCat ? "category" : "status");
      box.setAttribute("data-code", (byCat ? cats : sts)[idx].code);
      box.addEventListener("change", function () {
        toggle(byCat, idx, box.checked);
      });
      row.appendChild(box);
      row.appendChild(sw);
      row.appendChild(el("span", "cr-entry-label", (byCat ? cats : sts)[idx].label));
      row.appendChild(el("span", "cr-count", count));
      div.appendChild(row);
    }

    if (o.legend !== false) {
      legendControl(map, "bottomright", o.text.legend_filter, function (div) {
        div.appendChild(el("div", "cr-legend-head", o.text.category));
        cats.forEach(function (c, idx) {
          if (!catCount[idx]) return;
          var sw = el("span", "cr-pin-wrap");
          sw.innerHTML = pinHtml(c, { code: "open" }, 0);
          entry(div, true, idx, catCount[idx], sw);
        });
        div.appendChild(el("div", "cr-legend-head", o.text.status));
        sts.forEach(function (s, idx) {
          if (!stCount[idx]) return;
          var sw = el("span", "cr-pin-wrap");
          sw.innerHTML = pinHtml({ color: "#8a8a8a", glyph: "" }, s, 0);
          entry(div, false, idx, stCount[idx], sw);
        });
        div.appendChild(el("div", "cr-legend-head", o.text.marks));
        [
          [1, o.text.overdue],
          [2, o.text.rebound],
        ].forEach(function (mark) {
          var row = el("div", "cr-entry");
          var sw = el("span", "cr-pin-wrap");
          sw.innerHTML = pinHtml({ color: "#8a8a8a", glyph: "" }, { code: "open" }, mark[0]);
          row.appendChild(sw);
          row.appendChild(el("span", "cr-entry-label", mark[1]));
          div.appendChild(row);
        });
      });
    }
    cr.lastIssues = { group: group, markers: markers, data: d, toggle: toggle };
    return group;
  };

  /* Polygons coloured by class per period (ranking, rectification), with outlines,
   * labels, tooltips, a period selector and a side panel. */
  cr.choropleth = function (map, gj, o) {
    var period = o.start;
    var labels = L.layerGroup();
    var layers = [];
    function styleFor(f) {
      var p = o.periods[period];
      var i = f.properties._i;
      var k = p.cls[i];
      var ol = p.outline ? p.outline[i] : 0;
      var line = ol ? o.outlines[ol] : o.line;
      return {
        className: o.className,
        fillColor: k === null || k < 0 ? o.noData.fill : o.classes[k].fill,
        fillOpacity: o.fillOpacity,
        color: line.color,
        weight: line.weight,
        dashArray: line.dash || null,
        opacity: 1,
      };
    }
    var shapes = L.geoJSON(gj, {
      style: styleFor,
      onEachFeature: function (f, layer) {
        layers.push(layer);
        layer.bindTooltip(
          function () {
            return tipTable(o.periods[period].tips[f.properties._i]);
          },
          { sticky: true, className: "cr-tooltip" }
        );
      },
    });
    var group = L.featureGroup([shapes, labels]);
    /* Crowded: villages drawn smaller than a two-line label (a phone looking at the whole
     * town) show the first line only (rank, rate); zooming in brings the names back. */
    function crowd() {
      var b = shapes.getBounds();
      if (!gj.features.length || !b.isValid()) return;
      var nw = map.latLngToContainerPoint(b.getNorthWest());
      var se = map.latLngToContainerPoint(b.getSouthEast());
      var each = Math.sqrt(Math.abs((se.x - nw.x) * (se.y - nw.y)) / gj.features.length);
      var crowded = each < CROWDED_PX;
      map.getContainer().classList.toggle("cr-crowded", crowded);
      // o.crowdedLabels false: a crowded map shows no labels at all (the status map, whose
      // rates overlap its circles; the colours give the class, a tap the figures)
      map.getContainer().classList.toggle("cr-crowded-bare", crowded && o.crowdedLabels === false);
    }
    map.on("zoomend", crowd);
    map.whenReady(crowd);
    function drawLabels() {
      labels.clearLayers();
      var p = o.periods[period];
      gj.features.forEach(function (f) {
        var i = f.properties._i;
        var text = p.labels[i];
        if (!text) return;
        var ol = p.outline ? p.outline[i] : 0;
        labels.addLayer(label(f.properties._pt, text, "cr-choro-label cr-outline-" + ol));
      });
    }
    function frontOutlines() {
      var p = o.periods[period];
      layers.forEach(function (layer) {
        if (p.outline && p.outline[layer.feature.properties._i]) layer.bringToFront();
      });
    }
    var panelBody = null;
    function drawPanel() {
      if (!panelBody) return;
      panelBody.textContent = "";
      (o.periods[period].panel || []).forEach(function (s) {
        panelBody.appendChild(el("div", "cr-panel-head cr-panel-" + s.kind, s.title));
        var list = el("ol", "cr-panel-list");
        s.items.forEach(function (it) {
          var li = el("li");
          li.appendChild(el("span", "cr-panel-rank", it[0]));
          li.appendChild(el("span", "cr-panel-name", it[1]));
          if (it[2]) li.appendChild(el("span", "cr-panel-note", it[2]));
          list.appendChild(li);
        });
        panelBody.appendChild(list);
      });
    }
    function show(idx) {
      period = idx;
      shapes.setStyle(styleFor);
      frontOutlines();
      drawLabels();
      drawPanel();
      map.getContainer().setAttribute("data-period", o.periods[period].key);
    }
    overlay(map, group, o.name, true);
    if (o.periods.length > 1) {
      var sel = L.control({ position: "topleft" });
      sel.onAdd = function () {
        var div = el("div", "cr-selector leaflet-bar");
        div.appendChild(el("span", "cr-selector-label", o.text.period));
        var select = el("select");
        o.periods.forEach(function (p, idx) {
          var opt = el("option", null, p.label);
          opt.value = String(idx);
          if (idx === period) opt.selected = true;
          select.appendChild(opt);
        });
        select.addEventListener("change", function () {
          show(Number(select.value));
        });
        div.appendChild(select);
        stopEvents(div);
        return div;
      };
      sel.addTo(map);
    }
    if (o.panel) {
      var pc = L.control({ position: "topleft" });
      pc.onAdd = function () {
        var div = el("details", "cr-panel leaflet-bar");
        if (wide()) div.open = true;
        div.appendChild(el("summary", "cr-panel-title", o.text.panel));
        panelBody = el("div", "cr-panel-body");
        div.appendChild(panelBody);
        stopEvents(div);
        return div;
      };
      pc.addTo(map);
    }
    cr.legend(map, o.legend);
    show(period);
    cr.lastChoropleth = { show: show, group: group };
    return group;
  };

  /* Grid cells coloured by class (Gi* hot and cold spots), with a tooltip per cell. */
  cr.cells = function (map, gj, o) {
    var shapes = L.geoJSON(gj, {
      style: function (f) {
        var k = f.properties.k;
        var c = o.classes[k];
        return {
          className: o.className + " cr-cell-" + c.key,
          fillColor: c.fill,
          fillOpacity: c.fill ? o.fillOpacity : 0,
          color: c.stroke,
          weight: c.weight,
          opacity: c.fill ? 0.9 : 0.35,
        };
      },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(
          function () {
            return tipTable(f.properties.tip);
          },
          { sticky: true }
        );
      },
    });
    overlay(map, shapes, o.name, o.show);
    return shapes;
  };

  cr.heat = function (map, d, o) {
    var pts = new Array(d.x.length);
    for (var i = 0; i < d.x.length; i++) {
      pts[i] = [d.origin[1] + d.y[i] / d.scale, d.origin[0] + d.x[i] / d.scale];
    }
    var heat = L.heatLayer(pts, {
      radius: o.radius,
      blur: o.blur,
      maxZoom: o.maxZoom,
      minOpacity: 0.05,
      gradient: o.gradient,
    });
    return overlay(map, heat, o.name, o.show);
  };

  /* Proportional circles with a number inside (e.g. overdue issues per village), drawn
   * up and right of the village label so both stay readable. */
  cr.symbols = function (map, items, o) {
    var group = L.featureGroup();
    items.forEach(function (it) {
      var d = Math.round(2 * it.r);
      var dot = el("div", "cr-symbol " + (o.className || ""), it.text);
      dot.style.width = d + "px";
      dot.style.height = d + "px";
      dot.style.lineHeight = d + "px";
      dot.style.background = o.fill;
      dot.style.borderColor = o.stroke;
      var marker = L.marker(it.pt, {
        icon: L.divIcon({
          className: "cr-symbol-icon",
          html: dot,
          iconSize: [d, d],
          iconAnchor: [-26, it.r + 8],
        }),
        keyboard: false,
      });
      marker.bindTooltip(
        function () {
          return tipTable(it.tip);
        },
        { sticky: true }
      );
      group.addLayer(marker);
    });
    return overlay(map, group, o.name, true);
  };
  /* Leaflet.VectorGrid 1.3.0 was written for Leaflet 1.7: its canvas tiles call
   * L.DomEvent.fakeStop (gone since Leaflet 1.8) and fire mouse events through the map,
   * which takes a small point symbolizer for a marker and asks it for a lat/lng it does not
   * have. Stop the event instead, and fire it on the symbolizer (which passes it on to the
   * VectorGrid layer) with the position of the pointer. */
  function patchVectorGrid() {
    if (L.Canvas.Tile._crPatched) return;
    L.Canvas.Tile._crPatched = true;
    if (!L.DomEvent.fakeStop) L.DomEvent.fakeStop = L.DomEvent.stop;
    L.Canvas.Tile.include({
      _fireEvent: function (layers, e, type) {
        var map = this._map;
        if (!map || !layers.length) return;
        var latlng = map.mouseEventToLatLng(e);
        layers[0].fire(
          type || e.type,
          {
            originalEvent: e,
            latlng: latlng,
            layerPoint: map.latLngToLayerPoint(latlng),
            containerPoint: map.latLngToContainerPoint(latlng),
          },
          true
        );
      },
    });
  }

  /* Issues from vector tiles (/tiles/issues/{z}/{x}/{y}.mvt, Leaflet.VectorGrid): squares
   * with counts below o.pointsZoom, points from it on; a point's popup fetches the issue. */
  cr.issueTiles = function (map, o) {
    patchVectorGrid();
    var T = o.text;
    var cats = {};
    o.categories.forEach(function (c) {
      cats[c.code] = c;
    });
    /* A page served on a bearer token passes its map_key on (service.auth.map_key). */
    var keyQuery = o.detailUrl.split("?")[1] || "";
    var sts = {};
    o.statuses.forEach(function (s) {
      sts[s.code] = s;
    });
    function ramp(n) {
      for (var k = o.ramp.length - 1; k >= 0; k--) if (n >= o.ramp[k].from) return o.ramp[k].color;
      return o.ramp[0].color;
    }
    var layer = L.vectorGrid.protobuf(o.url, {
      rendererFactory: L.canvas.tile,
      interactive: true,
      maxZoom: map.getMaxZoom(),
      pane: "overlayPane",
      fetchOptions: { credentials: "same-origin" },
      vectorTileLayerStyles: {
        issues: function (p) {
          if (p.count !== undefined) {
            return {
              fill: true,
              fillColor: ramp(p.count),
              fillOpacity: 0.65,
              color: p.overdue > 0 ? "#c00000" : "#ffffff",
              weight: p.overdue > 0 ? 1.2 : 0.5,
            };
          }
          var c = cats[p.category];
          return {
            radius: 5,
            fill: true,
            fillColor: c ? c.color : "#888888",
            fillOpacity: 0.9,
            color: p.overdue ? "#c00000" : "#333333",
            weight: p.overdue ? 2.5 : 1,
          };
        },
      },
    });
    layer._crTiles = true;
    cr.lastTiles = layer;

    function detailPopup(f) {
      var p = f.properties || {};
      var c = cats[p.category] || { label: p.category, color: "#888" };
      var st = sts[p.status] || { code: p.status, label: p.status };
      var box = el("div", "cr-popup");
      var head = el("div", "cr-pop-head");
      head.style.borderLeftColor = c.color;
      head.appendChild(el("b", null, c.label));
      head.appendChild(el("span", "cr-pop-code", p.code));
      box.appendChild(head);
      var tags = el("div", "cr-pop-tags");
      tags.appendChild(el("span", "cr-tag cr-tag-" + st.code, st.label));
      box.appendChild(tags);
      if (p.description) box.appendChild(el("p", "cr-pop-desc", p.description));
      var rows = [
        [T.found_on, p.found_on],
        [T.deadline, p.deadline],
        [T.closed_on, p.closed_on],
        [T.village, p.village_name],
        [T.grid, p.grid],
      ].filter(function (r) {
        return r[1];
      });
      box.appendChild(tipTable(rows));
      var hist = (p.history || [])
        .map(function (e) {
          return String(e.on || "").slice(5) + " " + (e.kind || "");
        })
        .join(" → ");
      if (hist) {
        var h = el("div", "cr-pop-history");
        h.appendChild(el("b", null, T.history + ": "));
        h.appendChild(document.createTextNode(hist));
        box.appendChild(h);
      }
      var photos = p.photos || [];
      if (photos.length) {
        var strip = el("div", "cr-pop-photos");
        photos.forEach(function (ph) {
          var url = safeUrl(ph.thumbnail_url || "");
          if (!url) return;
          if (keyQuery) url += (url.indexOf("?") < 0 ? "?" : "&") + keyQuery;
          var img = el("img");
          img.loading = "lazy";
          img.alt = T.photos;
          img.src = url;
          strip.appendChild(img);
        });
        box.appendChild(strip);
      }
      return box;
    }

    layer.on("click", function (e) {
      var p = (e.layer && e.layer.properties) || {};
      var popup = L.popup({ maxWidth: 320, minWidth: 220, autoPanPadding: [20, 20] }).setLatLng(
        e.latlng
      );
      if (p.count !== undefined) {
        var box = el("div", "cr-popup cr-cell-popup");
        box.appendChild(
          tipTable([
            [T.count, String(p.count)],
            [T.open_now, String(p.open)],
            [T.overdue_count, String(p.overdue)],
          ])
        );
        box.appendChild(el("div", "cr-legend-note", T.zoom_in));
        popup.setContent(box).openOn(map);
        return;
      }
      popup.setContent(el("div", "cr-popup cr-loading", T.loading)).openOn(map);
      fetch(o.detailUrl.replace("{id}", encodeURIComponent(p.id)), {
        credentials: "same-origin",
        headers: { Accept: "application/geo+json, application/json" },
      })
        .then(function (r) {
          if (!r.ok) throw new Error(r.status);
          return r.json();
        })
        .then(function (f) {
          popup.setContent(detailPopup(f));
        })
        .catch(function () {
          popup.setContent(el("div", "cr-popup", T.not_loaded + " · " + (p.code || "")));
        });
    });

    pending += 1;
    layer.once("load", function () {
      pending -= 1;
      ready();
    });
    overlay(map, layer, o.name, true);

    legendControl(map, "bottomright", T.legend, function (div) {
      div.appendChild(el("div", "cr-legend-head", T.per_cell));
      o.ramp.forEach(function (r) {
        var row = el("div", "cr-entry");
        row.appendChild(swatch({ fill: r.color, shape: "box" }));
        row.appendChild(el("span", "cr-entry-label", "≥ " + r.from));
        div.appendChild(row);
      });
      div.appendChild(el("div", "cr-legend-head", T.category));
      o.categories.forEach(function (c) {
        var row = el("div", "cr-entry");
        row.appendChild(swatch({ fill: c.color, shape: "circle" }));
        row.appendChild(el("span", "cr-entry-label", c.label));
        div.appendChild(row);
      });
      div.appendChild(el("div", "cr-legend-note", T.zoom_note));
    });
    return layer;
  };
})();
