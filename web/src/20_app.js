// Page state, tabs, the control bar and the keyboard; each view (30_ to 70_) registers itself in attnlab.views.
"use strict";
attnlab.views = {};
attnlab.state = {
  tab: null, input: 0, slot: 0, head: 0, queryToken: null, visibleHeads: null, hideSpecials: false, merge: false,
  filter: "all", palette: "default", search: "", zoom: false,
};

attnlab.modelLayer = (slot) => attnlab.data.layers[slot];
attnlab.numHeads = () => attnlab.data.model.num_heads;

// Index of the row group holding the query token, or null.
attnlab.queryRow = function (rows) {
  const q = attnlab.state.queryToken;
  if (q === null) return null;
  const r = rows.findIndex((g) => g.members.includes(q));
  return r < 0 ? null : r;
};
// Row/column indices whose label matches the search box (case-insensitive substring; "##" ignored).
attnlab.matches = function (groups) {
  const needle = attnlab.state.search.trim().toLowerCase().replace(/^##/, "");
  const out = new Set();
  if (!needle) return out;
  groups.forEach((g, i) => { if (g.label.toLowerCase().replace(/^##/, "").includes(needle)) out.add(i); });
  return out;
};

// Re-renders the current tab and mirrors the state on #view's data attributes (read by the tests).
attnlab.render = function () {
  const st = attnlab.state, main = document.getElementById("view");
  for (const b of document.querySelectorAll("#tabs button")) b.setAttribute("aria-selected", b.dataset.tab === st.tab);
  attnlab.syncControls();
  main.dataset.tab = st.tab;
  if (attnlab.data.kind === "model") {
    main.dataset.layer = attnlab.modelLayer(st.slot);
    main.dataset.head = st.head;
    main.dataset.query = st.queryToken === null ? "" : st.queryToken;
    main.dataset.input = st.input;
  }
  attnlab.hideTooltip();
  attnlab.views[st.tab].render(main);
};

// Applies a state change as one measured interaction.
attnlab.act = function (name, change) {
  return attnlab.measure(name, () => { change(attnlab.state); attnlab.render(); });
};
attnlab.setSlot = (slot) => {
  const L = attnlab.data.layers.length;
  attnlab.act("layer", (st) => { st.slot = (slot + L) % L; });
};
attnlab.setHead = (head) => {
  const H = attnlab.numHeads();
  attnlab.act("head", (st) => {
    st.head = (head + H) % H;
    if (st.visibleHeads && st.visibleHeads.size === 1) st.visibleHeads = new Set([st.head]);  // one head shown: follow
  });
};
attnlab.setQuery = (token) => attnlab.act("query", (st) => { st.queryToken = token; });

attnlab.buildTabs = function (tabs) {
  const nav = document.getElementById("tabs");
  nav.innerHTML = "";
  for (const t of tabs) {
    nav.append(attnlab.h("button", {role: "tab", "data-tab": t, text: attnlab.views[t].title,
      onclick: () => attnlab.act("tab", (st) => { st.tab = t; })}));
  }
};

attnlab.buildControls = function () {
  const {h} = attnlab, st = attnlab.state, data = attnlab.data;
  const bar = document.getElementById("controls");
  bar.innerHTML = "";
  const exportBar = h("span", {class: "group"},
    h("button", {id: "export-svg", text: "Export SVG", onclick: () => attnlab.download("svg")}),
    h("button", {id: "export-png", text: "Export PNG", onclick: () => attnlab.download("png")}));
  const palette = h("label", {}, "Palette ", h("select", {id: "palette",
    onchange: (e) => attnlab.act("palette", (s) => { s.palette = e.target.value; attnlab.clearMatrixCache(); })},
  h("option", {value: "default", text: "default"}), h("option", {value: "cb", text: "colour-blind safe"})));
  if (data.kind !== "model") { bar.append(palette, exportBar); return; }
  const range = (n, label) => Array.from({length: n}, (_, i) => h("option", {value: i, text: label(i)}));
  const inputSel = attnlab.inputs.length > 1 ? h("label", {}, "Input ", h("select", {id: "input",
    onchange: (e) => attnlab.act("input", (s) => { s.input = +e.target.value; s.queryToken = null; })},
  attnlab.inputs.map((_, i) => h("option", {value: i, text: i ? "B (--compare)" : "A"})))) : null;
  const hasPair = attnlab.inputs.some((inp) => inp.segment.includes(1));
  bar.append(...[
    inputSel,
    h("label", {}, "Layer ", h("select", {id: "layer", onchange: (e) => attnlab.setSlot(+e.target.value)},
      range(data.layers.length, (i) => String(data.layers[i])))),
    h("label", {}, "Head ", h("select", {id: "head", onchange: (e) => attnlab.setHead(+e.target.value)},
      range(data.model.num_heads, String))),
    h("label", {}, "Query ", h("select", {id: "query",
      onchange: (e) => attnlab.setQuery(e.target.value === "" ? null : +e.target.value)})),
    h("label", {}, h("input", {type: "checkbox", id: "hide-specials",
      onchange: (e) => attnlab.act("hide-specials", (s) => { s.hideSpecials = e.target.checked; })}), " hide special tokens"),
    h("label", {title: "A word's weight as a key is the sum over its subword columns; as a query, the mean over its subword rows."},
      h("input", {type: "checkbox", id: "merge",
      onchange: (e) => attnlab.act("merge", (s) => { s.merge = e.target.checked; })}), " merge subwords into words"),
    hasPair ? h("label", {}, "Pair ", h("select", {id: "filter",
      onchange: (e) => attnlab.act("filter", (s) => { s.filter = e.target.value; })},
    ["all", "AA", "AB", "BA", "BB"].map((f) => h("option", {value: f,
      text: f === "all" ? "All" : `${f[0]}->${f[1]}`})))) : null,
    h("label", {}, "Find token ", h("input", {type: "search", id: "search", size: 10,
      oninput: (e) => attnlab.act("search", (s) => { s.search = e.target.value; }),
      onkeydown: (e) => { if (e.key === "Enter") attnlab.findNext(); }})),
    palette, exportBar].filter(Boolean));
};

// Puts the state into the controls (after keyboard or click changes) and refreshes the query list.
attnlab.syncControls = function () {
  const st = attnlab.state, $ = (id) => document.getElementById(id);
  if ($("palette")) $("palette").value = st.palette;
  if (attnlab.data.kind !== "model") return;
  if ($("input")) $("input").value = st.input;
  $("layer").value = st.slot;
  $("head").value = st.head;
  $("hide-specials").checked = st.hideSpecials;
  $("merge").checked = st.merge;
  if ($("filter")) $("filter").value = st.filter;
  const inp = attnlab.inputs[st.input], rows = attnlab.axes(inp).rows, sel = $("query");
  const key = `${attnlab.dataVersion}|${st.input}|${st.hideSpecials}|${st.merge}|${st.filter}`;
  if (sel.dataset.key !== key) {
    sel.innerHTML = "";
    sel.append(attnlab.h("option", {value: "", text: "(all)"}));
    rows.forEach((g, i) => sel.append(attnlab.h("option", {value: g.members[0], text: `${i}: ${g.label}`})));
    sel.dataset.key = key;
  }
  const r = attnlab.queryRow(rows);
  sel.value = r === null ? "" : rows[r].members[0];
  const rules = [];
  if (st.hideSpecials) rules.push("Hidden: special tokens ([CLS], [SEP], bos, eos, ...); each remaining row is divided by its sum over the remaining keys, so it sums to 1.");
  if (st.merge) rules.push("Words: a word's weight as a key is the sum over its subword columns; as a query, the mean over its subword rows.");
  if (st.filter !== "all") rules.push(`Pair filter ${st.filter[0]}->${st.filter[1]}: queries from sentence ${st.filter[0]}, keys from sentence ${st.filter[1]}; weights are not renormalised (row sums show the share).`);
  $("rules").textContent = rules.join(" ");
};

// Enter in the search box: the next matching token becomes the query.
attnlab.findNext = function () {
  const rows = attnlab.axes(attnlab.inputs[attnlab.state.input]).rows, m = [...attnlab.matches(rows)];
  if (!m.length) return;
  const cur = attnlab.queryRow(rows);
  const next = m.find((i) => cur === null || i > cur) ?? m[0];
  attnlab.setQuery(rows[next].members[0]);
};

document.addEventListener("keydown", (e) => {
  if (!attnlab.data || attnlab.data.kind !== "model") return;
  const tag = e.target.tagName;
  if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || e.altKey || e.ctrlKey || e.metaKey) return;
  const st = attnlab.state;
  if (e.key === "ArrowUp") attnlab.setSlot(st.slot - 1);
  else if (e.key === "ArrowDown") attnlab.setSlot(st.slot + 1);
  else if (e.key === "ArrowLeft") attnlab.setHead(st.head - 1);
  else if (e.key === "ArrowRight") attnlab.setHead(st.head + 1);
  else return;
  e.preventDefault();
});
