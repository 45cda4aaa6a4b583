// The web app of `attnlab serve` (data kind "app"): a text box, an optional pair box and a model selector
// above the viewer; typing updates every view (debounced) through POST /api/view on the same server, and
// the page state lives in the URL (?model=&text=&pair=&layer=&head=) so a link reproduces the view.
"use strict";

attnlab.app = {
  requestId: 0,
  debounceMs: 300,
  timer: null,
};

// Draws the viewer for a model data object fetched from /api/view, keeping the tab, layer and head.
attnlab.app.show = async function (data) {
  const st = attnlab.state, prev = attnlab.data && attnlab.data.kind === "model" ? attnlab.data : null;
  const prevLayer = prev ? attnlab.modelLayer(st.slot) : null;
  await attnlab.load(data);
  attnlab.clearMatrixCache();
  const inp = attnlab.inputs[0];
  st.input = 0;
  const slot = data.layers.indexOf(prevLayer);
  st.slot = slot < 0 ? 0 : slot;
  st.head = Math.min(st.head, data.model.num_heads - 1);
  if (st.queryToken !== null && st.queryToken >= inp.n) st.queryToken = null;
  if (!st.tab || st.tab === "toy") st.tab = "head";
  document.getElementById("subtitle").textContent = `${data.model.name}: ${data.model.num_heads} heads, ${data.layers.length} layers`;
  const count = document.getElementById("app-count");
  if (count) count.textContent = `${inp.n} tokens`;
  attnlab.buildTabs(["head", "model", "matrix", "neuron"]);
  attnlab.buildControls();
  attnlab.render();
};

// The URL query holding the state a link should reproduce.
attnlab.app.saveUrl = function () {
  const st = attnlab.state, q = new URLSearchParams();
  q.set("model", document.getElementById("app-model").value);
  q.set("text", document.getElementById("app-text").value);
  const pair = document.getElementById("app-pair").value;
  if (pair) q.set("pair", pair);
  if (attnlab.data && attnlab.data.kind === "model") {
    q.set("layer", attnlab.modelLayer(st.slot));
    q.set("head", st.head);
  }
  history.replaceState(null, "", "?" + q.toString());
};

// Asks the server for the current text; answers to older requests are dropped.
attnlab.app.update = async function () {
  const id = ++attnlab.app.requestId;
  const text = document.getElementById("app-text").value;
  const pair = document.getElementById("app-pair").value;
  const status = document.getElementById("status");
  if (!text.trim()) { status.textContent = "Type a sentence to see its attention."; return; }
  const body = {model: document.getElementById("app-model").value, text};
  if (pair) body.pair = pair;
  const t0 = performance.now();
  let answer;
  try {
    const res = await fetch("api/view", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body)});
    answer = await res.json();
    if (!res.ok) throw new Error(answer.error || `HTTP ${res.status}`);
  } catch (err) {
    if (id === attnlab.app.requestId) status.textContent = "attnlab: " + err.message;
    return;
  }
  if (id !== attnlab.app.requestId) return;
  status.textContent = "";
  await attnlab.app.show(answer);
  attnlab.timings.interactions.push({name: "update", ms: performance.now() - t0});
  attnlab.app.saveUrl();
  document.getElementById("view").dataset.text = text;
};

attnlab.app.schedule = function () {
  clearTimeout(attnlab.app.timer);
  attnlab.app.timer = setTimeout(attnlab.app.update, attnlab.app.debounceMs);
};

// A model as the selector names it: its family, then its size, e.g. "smollm2 (llama decoder, 30 layers
// x 9 heads, 3 key/value heads)".
function modelLabel(m) {
  const kind = `${m.family}${m.causal ? " decoder" : " encoder"}`;
  const kv = m.num_kv_heads && m.num_kv_heads < m.num_heads ? `, ${m.num_kv_heads} key/value heads` : "";
  return `${m.name} (${kind}, ${m.num_layers} layers x ${m.num_heads} heads${kv})`;
}

// Builds the input form from the app data ({models: [...]}) and the URL, then shows the first view.
attnlab.startApp = async function (appData) {
  const {h} = attnlab, q = new URLSearchParams(location.search);
  const models = appData.models;
  const modelSel = h("select", {id: "app-model", onchange: attnlab.app.update},
    models.map((m) => h("option", {value: m.name, text: modelLabel(m)})));
  if (q.has("model") && models.some((m) => m.name === q.get("model"))) modelSel.value = q.get("model");
  const text = h("textarea", {id: "app-text", rows: 2, cols: 80, placeholder: "Type a sentence",
    oninput: attnlab.app.schedule});
  text.value = q.get("text") ?? "The cat sat on the mat.";
  const pair = h("input", {id: "app-pair", type: "text", size: 60, placeholder: "optional second sentence (pair)",
    oninput: attnlab.app.schedule});
  pair.value = q.get("pair") ?? "";
  document.getElementById("inputs").append(h("form", {id: "app-form", onsubmit: (e) => e.preventDefault()},
    h("label", {}, "Model ", modelSel), h("br"), text, h("br"), pair, " ",
    h("span", {id: "app-count", class: "count"}), " ",
    h("a", {href: "toy", text: "toy walk-through"})));
  const st = attnlab.state;
  if (q.has("head")) st.head = Math.max(0, parseInt(q.get("head"), 10) || 0);
  await attnlab.app.update();
  if (q.has("layer") && attnlab.data.kind === "model") {
    const slot = attnlab.data.layers.indexOf(parseInt(q.get("layer"), 10));
    if (slot >= 0) { st.slot = slot; attnlab.render(); }
  }
  // Layer/head changes made in the views (render() mirrors them on #view) go to the URL as well.
  new MutationObserver(attnlab.app.saveUrl).observe(document.getElementById("view"),
    {attributes: true, attributeFilter: ["data-layer", "data-head"]});
};
