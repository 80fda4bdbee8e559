/* safegeo map runtime (MIT): draws the vector layers, legends, title and badge of
 * a safegeo HTML map.  Data arrive as JSON blocks in the page; every value taken
 * from the data is put into the document with textContent, never innerHTML. */
(function () {
  "use strict";
  var sg = (window.safegeo = window.safegeo || {});
  var registry = (window.safegeoLayers = window.safegeoLayers || {});
  var groups = {};
  var specs = {};
  var DASH = "\u2013";
  sg.ready = false;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function readJSON(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  // One canvas for every vector layer of a map.  _fillStroke marks each layer it
  // paints so tests (and curious users) can count what was really drawn.
  var CountingCanvas = L.Canvas.extend({
    _fillStroke: function (ctx, layer) {
      layer._safegeoDrawn = true;
      L.Canvas.prototype._fillStroke.call(this, ctx, layer);
    }
  });

  sg.renderer = function (map) {
    if (!map._safegeoRenderer) {
      map._safegeoRenderer = new CountingCanvas({ padding: 0.5, tolerance: 4 });
    }
    return map._safegeoRenderer;
  };

  function infoBox(spec, idx, layer, withTitle) {
    var box = el("div", "sg-info");
    if (withTitle) box.appendChild(el("div", "sg-info-title", spec.label));
    var table = el("table");
    var i = layer.feature.properties.i;
    for (var n = 0; n < idx.length; n++) {
      var k = idx[n];
      var v = spec.values[k][i];
      var tr = el("tr");
      tr.appendChild(el("th", null, spec.labels[k]));
      tr.appendChild(el("td", null, v === null || v === undefined ? DASH : String(v)));
      table.appendChild(tr);
    }
    box.appendChild(table);
    return box;
  }

  function ensureTooltip(spec, layer) {
    if (!layer.getTooltip()) {
      layer.bindTooltip(function (l) { return infoBox(spec, spec.tooltip, l, false); },
        { sticky: spec.kind !== "point", direction: "top", className: "sg-tooltip" });
    }
  }

  // Popups pan the map so that they open below the title box, never under it.
  function popupOptions() {
    return { maxWidth: 360, className: "sg-popup", autoPan: true,
             autoPanPaddingTopLeft: sg.popupPadding || L.point(5, 5), autoPanPaddingBottomRight: L.point(5, 5) };
  }

  function ensurePopup(spec, layer) {
    if (!layer.getPopup()) {
      layer.bindPopup(function (l) { return infoBox(spec, spec.popup, l, true); }, popupOptions());
    }
  }

  // Tooltips and popups are bound on first use, so a 100k-feature layer does not
  // create 100k popup objects up front.
  function bindLazily(group, spec) {
    if (spec.tooltip.length) {
      group.on("mouseover", function (e) {
        var l = e.layer;
        if (!l || !l.feature || l.getTooltip()) return;
        ensureTooltip(spec, l);
        l.openTooltip(spec.kind === "point" ? undefined : e.latlng);
      });
    }
    if (spec.popup.length) {
      group.on("click", function (e) {
        var l = e.layer;
        if (!l || !l.feature || l.getPopup()) return;
        ensurePopup(spec, l);
        l.openPopup(spec.kind === "point" ? undefined : e.latlng);
      });
    }
  }

  sg.addLayer = function (map, dataId) {
    var spec = readJSON(dataId);
    var pal = spec.palette, st = spec.style, renderer = sg.renderer(map);
    var interactive = spec.tooltip.length > 0 || spec.popup.length > 0;
    var styles = [], k;
    var opts = {};
    if (spec.kind === "point") {
      for (k = 0; k < pal.length; k++) {
        styles.push({
          renderer: renderer, interactive: interactive, radius: st.radius,
          stroke: st.stroke !== null, color: st.stroke || pal[k], weight: st.weight,
          opacity: st.opacity, fillColor: pal[k], fillOpacity: st.fillOpacity
        });
      }
      opts.pointToLayer = function (f, latlng) {
        var p = f.properties;
        var m = L.circleMarker(latlng, styles[p._c || 0]);
        if (p._r !== undefined) m.setRadius(p._r);
        return m;
      };
    } else {
      var polygon = spec.kind === "polygon";
      for (k = 0; k < pal.length; k++) {
        styles.push(polygon
          ? { color: st.stroke || pal[k], weight: st.weight, opacity: st.opacity,
              fillColor: pal[k], fillOpacity: st.fillOpacity }
          : { color: pal[k], weight: st.weight, opacity: st.opacity });
      }
      opts.renderer = renderer;
      opts.interactive = interactive;
      opts.style = function (f) { return styles[f.properties._c || 0]; };
    }
    if (spec.mark !== null && spec.mark !== undefined) {
      // a permanent label per feature (an ETA beside a vehicle, a rank on a road), text from the values table
      opts.onEachFeature = function (f, l) {
        var v = spec.values[spec.mark][f.properties.i];
        if (v === null || v === undefined) return;
        l.bindTooltip(String(v), { permanent: true, direction: spec.kind === "point" ? "right" : "center",
                                   className: "sg-label", interactive: false });
      };
    }
    var gj = L.geoJSON(spec.data, opts);
    var group = spec.cluster && L.markerClusterGroup
      ? L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false })
      : L.featureGroup();
    group.addLayer(gj);
    if (interactive) bindLazily(group, spec);
    delete spec.data;
    registry[spec.name] = gj;
    groups[spec.name] = group;
    specs[spec.name] = spec;
    return group;
  };

  function swatch(kind, colour) {
    var s = el("span", "sg-swatch sg-swatch-" + (kind || "polygon"));
    s.style.background = colour;
    return s;
  }

  // The legend folds into one "Legend" button; folded when the page opens on a small screen.
  function legendControl(map, legends, words, folded) {
    var control = L.control({ position: "bottomright" });
    var blocks = [];
    control.onAdd = function () {
      var div = el("div", "sg-legend leaflet-bar");
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      var button = el("button", "sg-legend-toggle", words.label);
      button.type = "button";
      var body = el("div", "sg-legend-body");
      body.id = "sg-legend-body";
      button.setAttribute("aria-controls", body.id);
      function fold(on) {
        div.classList.toggle("sg-collapsed", on);
        button.setAttribute("aria-expanded", on ? "false" : "true");
        button.title = on ? words.show : words.hide;
      }
      L.DomEvent.on(button, "click", function () { fold(!div.classList.contains("sg-collapsed")); });
      fold(folded);
      div.appendChild(button);
      div.appendChild(body);
      legends.forEach(function (lg) {
        var block = el("div", "sg-legend-block");
        block._layer = lg.layer;
        if (lg.title && lg.title !== words.label) block.appendChild(el("div", "sg-legend-title", lg.title));
        if (lg.ramp) {
          var bar = el("div", "sg-ramp");
          var c = lg.ramp.colors, stops = [];
          for (var j = 0; j < c.length; j++) {
            stops.push(c[j] + " " + (100 * j / c.length) + "%", c[j] + " " + (100 * (j + 1) / c.length) + "%");
          }
          bar.style.background = "linear-gradient(to right, " + stops.join(", ") + ")";
          block.appendChild(bar);
          var labels = el("div", "sg-ramp-labels");
          labels.appendChild(el("span", null, lg.ramp.min));
          labels.appendChild(el("span", null, lg.ramp.max));
          block.appendChild(labels);
        }
        (lg.rows || []).forEach(function (row) {
          var r = el("div", "sg-legend-row");
          r._layer = row.layer;
          r.appendChild(swatch(row.kind, row.color));
          r.appendChild(el("span", null, row.label));
          block.appendChild(r);
          blocks.push(r);
        });
        body.appendChild(block);
        blocks.push(block);
      });
      return div;
    };
    function sync() {
      blocks.forEach(function (b) {
        if (b._layer && groups[b._layer]) {
          b.style.display = map.hasLayer(groups[b._layer]) ? "" : "none";
        }
      });
    }
    map.on("overlayadd overlayremove", sync);
    control.addTo(map);
    sync();
    return control;
  }

  function matches(query) {
    return !!(window.matchMedia && window.matchMedia(query).matches);
  }

  // The title box takes the free band between the top-left and top-right controls, so it
  // never covers the zoom buttons, the layer list or the charts button.
  function placeHeader(map, head) {
    var box = map.getContainer().getBoundingClientRect();
    var left = 10, right = box.width - 10;
    var corner = map.getContainer().querySelectorAll(".leaflet-top .leaflet-control");
    for (var i = 0; i < corner.length; i++) {
      var r = corner[i].getBoundingClientRect();
      if (!r.width || !r.height) continue;
      if (r.left - box.left < box.width / 2) left = Math.max(left, r.right - box.left + 8);
      else right = Math.min(right, r.left - box.left - 8);
    }
    if (right - left < 120) { left = 10; right = box.width - 10; }  // too narrow: full width
    head.style.left = left + "px";
    head.style.width = (right - left) + "px";
    var bottom = head.getBoundingClientRect().bottom - box.top;
    sg.popupPadding = L.point(5, Math.max(5, Math.ceil(bottom) + 8));
    return bottom;
  }

  function header(cfg) {
    var back = cfg.back, links = cfg.links || [];
    if (!(cfg.title || cfg.badge || links.length || back)) return null;
    var head = el("div", "sg-header");
    if (back) {
      var b = el("a", "sg-back", back.label);
      b.setAttribute("href", back.href);  // checked in Python: relative paths and http(s) only
      head.appendChild(b);
    }
    if (cfg.title) head.appendChild(el("div", "sg-title", cfg.title));
    if (cfg.badge) head.appendChild(el("div", "sg-badge", cfg.badge));
    if (links.length) {
      var nav = el("div", "sg-links");
      links.forEach(function (ln) {
        var a = el("a", null, ln.label);
        a.setAttribute("href", ln.href);  // checked in Python: relative paths and http(s) only
        nav.appendChild(a);
      });
      head.appendChild(nav);
    }
    L.DomEvent.disableClickPropagation(head);
    return head;
  }

  // The chart panel (drawn in Python beside the map) opens and closes with one button.
  function chartsControl(map, words, relayout) {
    var panel = document.getElementById("sg-charts");
    if (!panel) return;
    var root = document.documentElement;
    var control = L.control({ position: "topright" });
    var button;
    function show(open) {
      root.classList.toggle("sg-charts-hidden", !open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
      button.title = open ? words.hide : words.show;
      map.invalidateSize({ animate: false });
      relayout();
    }
    control.onAdd = function () {
      button = el("button", "sg-charts-toggle leaflet-bar", words.label);
      button.type = "button";
      button.setAttribute("aria-controls", "sg-charts");
      L.DomEvent.disableClickPropagation(button);
      L.DomEvent.on(button, "click", function () {
        if (matches("(max-width: 700px)")) {  // the panel is under the map: go there
          show(true);
          panel.scrollIntoView({ block: "start" });
        } else {
          show(root.classList.contains("sg-charts-hidden"));
        }
      });
      return button;
    };
    control.addTo(map);
    var close = panel.querySelector(".sg-charts-close");
    if (close) close.addEventListener("click", function () { show(false); });
    show(!root.classList.contains("sg-charts-hidden"));
  }

  sg.finish = function (map, dataId, layerControl) {
    var cfg = readJSON(dataId);
    var small = matches("(max-width: 600px), (max-height: 500px)");
    if (map.attributionControl) map.attributionControl.setPrefix(cfg.prefix);
    if (layerControl && small && !layerControl.options.collapsed) {
      // a phone: the layer list folds into its button instead of covering the title and the map
      layerControl.remove();
      layerControl.options.collapsed = true;
      layerControl.addTo(map);
    }
    L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);
    var head = header(cfg), headBottom = 0;
    function relayout() {
      if (head) headBottom = placeHeader(map, head);
    }
    if (head) map.getContainer().appendChild(head);
    if (cfg.charts) chartsControl(map, cfg.charts, relayout);
    relayout();
    map.on("resize", relayout);
    if (cfg.legends.length) legendControl(map, cfg.legends, cfg.legend, small);
    function fit() {
      if (cfg.bounds) {
        map.fitBounds(cfg.bounds, { paddingTopLeft: [12, Math.max(12, headBottom + 6)], paddingBottomRight: [12, 12],
                                    maxZoom: cfg.maxZoom, animate: false });
      }
    }
    fit();
    // printing changes the map's size: draw it again for the paper, and back after
    var printing = false;
    function toPaper(on) {
      if (on === printing) return;
      printing = on;
      map.invalidateSize({ animate: false });
      relayout();
      fit();
    }
    window.addEventListener("beforeprint", function () { toPaper(true); });
    window.addEventListener("afterprint", function () { toPaper(false); });
    if (window.matchMedia) {
      var mq = window.matchMedia("print");
      var onChange = function (e) { toPaper(e.matches); };
      if (mq.addEventListener) mq.addEventListener("change", onChange); else if (mq.addListener) mq.addListener(onChange);
    }
    sg.map = map;
    sg.ready = true;
    document.documentElement.setAttribute("data-safegeo-ready", "1");
  };

  // ---- hooks for tests and scripted use --------------------------------------

  /** Per layer: features, how many lie in the current view, how many were painted
   *  on the canvas, and visibility.  (The canvas paints only what is in view.) */
  sg.stats = function () {
    var out = {}, view = sg.map ? sg.map.getBounds() : null;
    Object.keys(registry).forEach(function (name) {
      var layers = registry[name].getLayers(), drawn = 0, inView = 0;
      for (var j = 0; j < layers.length; j++) {
        var f = layers[j];
        if (f._safegeoDrawn) drawn++;
        if (view && (f.getLatLng ? view.contains(f.getLatLng()) : view.intersects(f.getBounds()))) inView++;
      }
      out[name] = {
        features: layers.length, in_view: inView, drawn: drawn, cluster: !!specs[name].cluster,
        visible: !!(sg.map && sg.map.hasLayer(groups[name]))
      };
    });
    return out;
  };

  /** Open the popup of feature ``index`` of layer ``name``; returns its content element. */
  sg.openPopup = function (name, index) {
    var spec = specs[name], layer = registry[name].getLayers()[index], popup;
    if (!spec.popup.length) return null;
    ensurePopup(spec, layer);
    if (layer._map) {
      layer.openPopup();
      popup = layer.getPopup();
    } else {  // hidden inside a cluster
      popup = L.popup(popupOptions())
        .setLatLng(layer.getLatLng ? layer.getLatLng() : layer.getBounds().getCenter())
        .setContent(infoBox(spec, spec.popup, layer, true)).openOn(sg.map);
    }
    return popup.getElement().querySelector(".leaflet-popup-content");
  };

  /** Open the tooltip of feature ``index`` of layer ``name``; returns the tooltip element. */
  sg.openTooltip = function (name, index) {
    var spec = specs[name], layer = registry[name].getLayers()[index];
    if (!spec.tooltip.length || !layer._map) return null;
    ensureTooltip(spec, layer);
    layer.openTooltip();
    return layer.getTooltip().getElement();
  };
})();
