/* ChainScout enterprise network: vis-network physics until stable, then physics off. */
"use strict";
(function (cs) {
  var d = cs.data;
  var FONT = getComputedStyle(document.documentElement).fontFamily;
  var timing = { start: performance.now(), drawn: null, stable: null, iterations: null };
  cs.timing = timing;
  cs.stable = false;

  // later nodes are drawn on top: targets, leaders and the centre above the crowd
  var DRAW = { group: 0, outside: 1, local: 2, target: 3, centre: 4 };
  var ordered = d.nodes.slice().sort(function (a, b) {
    return (DRAW[a.cs.kind] + (a.cs.leader ? 0.5 : 0)) - (DRAW[b.cs.kind] + (b.cs.leader ? 0.5 : 0));
  });
  var nodes = new vis.DataSet(ordered);
  var edges = new vis.DataSet(d.edges.map(function (e, i) {
    e.id = i;
    return e;
  }));
  var segName = {};
  d.segments.forEach(function (s) { segName[s.id] = s; });

  var filter = { segment: "", region: "" };
  var view = new vis.DataView(nodes, {
    filter: function (n) {
      var c = n.cs;
      if (c.kind === "centre") { return true; }
      if (filter.segment && c.segment !== filter.segment) { return false; }
      if (filter.region === ":local") { return c.kind !== "group" && c.local; }
      if (filter.region === ":outside") { return c.kind !== "group" && !c.local; }
      if (filter.region) { return c.region === filter.region; }
      return true;
    },
  });

  var status = document.getElementById("cs-status");
  function setStatus() {
    if (cs.stable) {
      status.textContent = cs.t("layout_stable") + " (" + ((timing.stable - timing.start) / 1000).toFixed(1) + " s)";
    } else {
      status.textContent = cs.t("layout_running");
    }
  }

  var container = document.getElementById("cs-net");
  var network = new vis.Network(container, { nodes: view, edges: edges }, {
    autoResize: true,
    layout: { improvedLayout: false, randomSeed: 7 },
    physics: {
      enabled: true,
      solver: "barnesHut",
      barnesHut: { gravitationalConstant: -4000, centralGravity: 0.15, springLength: 110,
                   springConstant: 0.03, damping: 0.4, avoidOverlap: 0, theta: 0.7 },
      minVelocity: 1.5,
      stabilization: { enabled: true, iterations: d.physics_iterations, updateInterval: 10, fit: true },
    },
    interaction: { hover: true, tooltipDelay: 100, hideEdgesOnDrag: d.shown > 1000,
                   hideEdgesOnZoom: d.shown > 1000 },
    nodes: { font: { face: FONT, size: 13, color: "#1f2933", strokeWidth: 3, strokeColor: "#fff" } },
    edges: { arrows: { to: { enabled: true, scaleFactor: 0.5 } }, width: 0.8,
             color: { color: "#9aa5b1", highlight: "#243b53", hover: "#243b53", opacity: 0.8 },
             smooth: false },
  });
  cs.network = network;
  cs.nodes = nodes;
  cs.edges = edges;
  cs.view = view;

  network.on("stabilizationProgress", function (p) {
    status.textContent = cs.t("layout_running") + " " + p.iterations + "/" + p.total;
  });
  network.once("stabilizationIterationsDone", function () {
    network.setOptions({ physics: { enabled: false } });
    timing.stable = performance.now();
    cs.stable = true;
    setStatus();
  });
  network.on("afterDrawing", function () {
    if (timing.drawn === null) { timing.drawn = performance.now(); }
  });

  function apply() {
    view.refresh();
    document.getElementById("cs-counts").textContent =
      view.length + " " + cs.t("shown");
  }
  document.getElementById("cs-filter-segment").addEventListener("change", function (e) {
    filter.segment = e.target.value; apply();
  });
  document.getElementById("cs-filter-region").addEventListener("change", function (e) {
    filter.region = e.target.value; apply();
  });

  var hover = document.getElementById("cs-hover");
  function describe(n) {
    var c = n.cs;
    if (c.kind === "group") {
      return cs.tooltip("+" + cs.num(c.count) + " · " + cs.pick(c.name_en, c.name), [[cs.t("group")]]);
    }
    var s = segName[c.segment];
    return cs.tooltip(c.name, [
      [c.id],
      [cs.t("region"), (c.region || "–") + " · " + (c.local ? cs.t("local") : cs.t("outside"))],
      [cs.t("segment"), s ? cs.pick(s.name_en, s.name) : c.segment],
      [cs.t("revenue"), cs.num(c.revenue)],
      [cs.t("hop"), c.hop],
      c.leader ? [cs.t("leader")] : null,
      c.rank ? [cs.t("target"), "#" + c.rank + " · " + cs.t("score") + " " + cs.num(c.score, 3)] : null,
    ]);
  }
  network.on("hoverNode", function (p) {
    var n = nodes.get(p.node);
    if (!n) { return; }
    hover.replaceChildren(describe(n));
    var e = p.event && (p.event.srcEvent || p.event);
    var x = e && e.clientX !== undefined ? e.clientX : 20, y = e && e.clientY !== undefined ? e.clientY : 20;
    hover.style.left = Math.min(x + 14, window.innerWidth - 320) + "px";
    hover.style.top = (y + 14) + "px";
    hover.style.display = "block";
  });
  network.on("blurNode", function () { hover.style.display = "none"; });
  network.on("dragStart", function () { hover.style.display = "none"; });

  cs.onLang(function () {
    setStatus();
    var groups = nodes.get({ filter: function (n) { return n.cs.kind === "group"; } });
    nodes.update(groups.map(function (n) {
      return { id: n.id, label: "+" + cs.num(n.cs.count) + " · " + cs.pick(n.cs.name_en, n.cs.name) };
    }));
  });
})(window.chainscout);
