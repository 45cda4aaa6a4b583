// Start-up: decode the data, build tabs and controls, draw the first view, resolve attnlab.ready.
"use strict";
(async function () {
  try {
    const t0 = performance.now();
    const data = await attnlab.load();
    attnlab.timings.decodeMs = performance.now() - t0;
    const st = attnlab.state;
    if (data.kind === "model") {
      const m = data.model, inp = attnlab.inputs;
      document.getElementById("subtitle").textContent = `${m.name}: ${m.num_heads} heads, layers ${data.layers.join(", ")}`;
      document.getElementById("inputs").append(...inp.map((x, i) => attnlab.h("p", {class: "input-text"},
        inp.length > 1 ? attnlab.h("b", {text: i ? "B: " : "A: "}) : null,
        x.text.length > 240 ? attnlab.h("span", {title: x.text, text: x.text.slice(0, 240) + " …"}) : x.text,
        x.pair ? attnlab.h("span", {class: "pair", text: "  |  pair: " + x.pair}) : null,
        attnlab.h("span", {class: "count", text: `  (${x.n} tokens)`}))));
      attnlab.buildTabs(["head", "model", "matrix", "neuron"]);
      st.tab = "head";
    } else if (data.kind === "toy") {
      document.getElementById("subtitle").textContent = "toy layers (the notebook's Part 1)";
      attnlab.buildTabs(["toy"]);
      st.tab = "toy";
    } else if (data.kind === "app") {
      await attnlab.startApp(data);
    } else {
      throw new Error("unknown data kind " + data.kind);
    }
    if (data.kind !== "app") {
      attnlab.buildControls();
      attnlab.render();
    }
    requestAnimationFrame(() => setTimeout(() => {
      attnlab.timings.firstPaint = performance.now();
      attnlab._ready(attnlab.timings);
    }, 0));
  } catch (err) {
    document.getElementById("status").textContent = "attnlab: " + err.message;
    console.error(err);
    attnlab._failed(err);
  }
})();
