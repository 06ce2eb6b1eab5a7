/* ChainScout chain-gap map: one vis-network per region, places fixed by the Python layout. */
"use strict";
(function (cs) {
  var FONT = getComputedStyle(document.documentElement).fontFamily;
  cs.maps = [];

  function darker(hex) {
    var n = parseInt(hex.slice(1), 16);
    var r = Math.round(((n >> 16) & 255) * 0.65), g = Math.round(((n >> 8) & 255) * 0.65),
        b = Math.round((n & 255) * 0.65);
    return "rgb(" + r + "," + g + "," + b + ")";
  }

  function segName(s) { return cs.pick(s.name_en, s.name); }

  function nodeOf(s) {
    var border = darker(s.colour);
    return {
      id: s.id,
      x: s.x, y: s.y,
      value: s.local_firms,
      label: segName(s) + "\n" + s.local_firms + " " + cs.t("local"),
      title: cs.tooltip(segName(s), [
        [cs.t("status"), cs.t(s.status)],
        [cs.t("local_firms"), cs.num(s.local_firms) + " / " + cs.num(s.firms)],
        [cs.t("lq"), s.lq === null ? "–" : cs.num(s.lq, 2)],
        [cs.t("pool_share"), cs.pct(s.pool_share)],
        [cs.t("reason"), cs.pick(s.reason, s.reason_zh)],
      ]),
      color: { background: s.colour, border: border,
               highlight: { background: s.colour, border: "#111" },
               hover: { background: s.colour, border: "#111" } },
      borderWidth: s.status === "missing" ? 3 : 2,
      shapeProperties: { borderDashes: s.status === "missing" ? [5, 4] : false },
    };
  }

  function row(table, cells, header) {
    var tr = cs.el("tr");
    cells.forEach(function (c) {
      var td = cs.el(header ? "th" : "td", c.text === undefined ? c : c.text, c.cls);
      if (c.badge) { td.appendChild(cs.el("span", c.badge, "cs-badge")); }
      tr.appendChild(td);
    });
    table.appendChild(tr);
  }

  function showPanel(index, segmentId) {
    var map = cs.maps[index];
    var s = map.byId[segmentId];
    var panel = document.getElementById("cs-panel-" + index);
    panel.replaceChildren();
    if (!s) { return; }
    panel.dataset.segment = s.id;
    var h = cs.el("h3", segName(s) + " · ");
    h.appendChild(cs.el("span", cs.t(s.status), "cs-status " + s.status));
    panel.appendChild(h);
    panel.appendChild(cs.el("p", cs.pick(s.reason, s.reason_zh), "cs-muted"));

    panel.appendChild(cs.el("h3", cs.t("local_firms") + " (" + s.local_firms + ")"));
    if (s.firm_list.length) {
      var t = cs.el("table", null, "cs cs-firms");
      row(t, [cs.t("name"), cs.t("region"), { text: cs.t("revenue"), cls: "num" }], true);
      s.firm_list.forEach(function (f) {
        row(t, [{ text: f.name, badge: f.leader ? cs.t("leader") : null, cls: "cs-firm" },
                f.region || "–", { text: cs.num(f.revenue), cls: "num" }]);
      });
      panel.appendChild(t);
      if (s.more_firms) { panel.appendChild(cs.el("p", "+" + s.more_firms + " " + cs.t("more"), "cs-muted")); }
    } else {
      panel.appendChild(cs.el("p", cs.t("none"), "cs-muted"));
    }

    panel.appendChild(cs.el("h3", cs.t("top_targets")));
    if (s.targets.length) {
      var tt = cs.el("table", null, "cs cs-targets");
      row(tt, [{ text: cs.t("rank"), cls: "num" }, cs.t("name"), cs.t("region"),
               { text: cs.t("score"), cls: "num" }, cs.t("introducer_path")], true);
      s.targets.forEach(function (x) {
        row(tt, [{ text: x.rank, cls: "num" }, { text: x.name, cls: "cs-target" }, x.region || "–",
                 { text: cs.num(x.score, 3), cls: "num" },
                 x.path_en ? cs.pick(x.path_en, x.path_zh) : cs.t("no_path")]);
      });
      panel.appendChild(tt);
    } else {
      panel.appendChild(cs.el("p", cs.t("no_targets"), "cs-muted"));
    }
  }

  cs.data.maps.forEach(function (m, index) {
    var byId = {};
    m.segments.forEach(function (s) { byId[s.id] = s; });
    var nodes = new vis.DataSet(m.segments.map(nodeOf));
    var edges = new vis.DataSet(m.feeds.map(function (f, i) {
      return { id: i, from: f[0], to: f[1] };
    }));
    var container = document.getElementById("cs-map-" + index);
    var network = new vis.Network(container, { nodes: nodes, edges: edges }, {
      autoResize: true,
      physics: { enabled: false },
      layout: { improvedLayout: false, randomSeed: 1 },
      interaction: { hover: true, tooltipDelay: 120, dragNodes: false, navigationButtons: false,
                     keyboard: false, multiselect: false },
      nodes: { shape: "dot", scaling: { min: 14, max: 46, label: { enabled: false } },
               font: { face: FONT, size: 24, color: "#1f2933", strokeWidth: 3, strokeColor: "#fff" } },
      edges: { arrows: { to: { enabled: true, scaleFactor: 0.6 } }, color: { color: "#9aa5b1", highlight: "#52606d" },
               smooth: { enabled: true, type: "cubicBezier", forceDirection: "horizontal", roundness: 0.45 },
               width: 1.2 },
    });
    var map = { index: index, region: m.region, network: network, nodes: nodes, edges: edges,
                byId: byId, ready: false };
    network.once("afterDrawing", function () { map.ready = true; });
    network.on("click", function (p) {
      if (p.nodes.length) { showPanel(index, p.nodes[0]); }
    });
    map.select = function (segmentId) { network.selectNodes([segmentId]); showPanel(index, segmentId); };
    cs.maps.push(map);
  });

  cs.onLang(function () {
    cs.maps.forEach(function (map) {
      map.nodes.update(cs.data.maps[map.index].segments.map(function (s) {
        var n = nodeOf(s);
        return { id: n.id, label: n.label, title: n.title };
      }));
      var panel = document.getElementById("cs-panel-" + map.index);
      if (panel.dataset.segment) { showPanel(map.index, panel.dataset.segment); }
    });
  });
})(window.chainscout);
