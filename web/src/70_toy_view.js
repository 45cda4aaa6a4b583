// Toy walk-through (attnlab view --toy): the notebook's Part 1 step by step, the numbers as the notebook prints
// them (4 decimals; the exact float32 in the tooltip and data-value), then a control that changes one token and
// shows the non-attention rows of the other tokens staying identical while every attention row moves.
"use strict";
(function () {
  const {h, s, fmt4, fmt9} = attnlab;
  const CW = 62, CH = 22;

  // One labelled matrix as SVG at (x, y); `changed` marks cells that differ from `base`.
  function block(parent, name, title, rows, x, y, opts = {}) {
    const g = s("g", {class: "toy-block", "data-name": name, transform: `translate(${x},${y})`});
    g.append(s("text", {x: 0, y: 12, class: "title", text: title}));
    const lim = opts.lim || Math.max(...rows.flat().map(Math.abs), 1e-9);
    rows.forEach((row, r) => row.forEach((v, c) => {
      const fill = opts.weights ? attnlab.cssColour(attnlab.colormaps.viridis, v, 0, 1)
                                : attnlab.cssColour(attnlab.colormaps.RdBu_r, v, -lim, lim);
      const dark = opts.weights && v < 0.5;
      const differs = opts.base && opts.base[r][c] !== v;
      const cell = s("g", {class: "cell" + (differs ? " changed" : ""), "data-row": r, "data-col": c});
      cell.append(s("rect", {x: c * CW, y: 18 + r * CH, width: CW - 2, height: CH - 2, fill, "fill-opacity": opts.weights ? 1 : 0.55}),
        s("text", {x: c * CW + CW / 2 - 1, y: 18 + r * CH + CH / 2, "text-anchor": "middle", "dominant-baseline": "central",
          fill: dark ? "#fff" : "#000", class: "num", "data-name": name, "data-row": r, "data-col": c, "data-value": fmt9(v),
          text: fmt4(v)}));
      cell.addEventListener("mouseenter", (e) => attnlab.showTooltip(e, [`${title} [${r}][${c}]`, h("br"), h("b", {text: fmt9(v)})], v));
      cell.addEventListener("mouseleave", attnlab.hideTooltip);
      g.append(cell);
    }));
    parent.append(g);
    return {w: rows[0].length * CW + 24, h: 24 + rows.length * CH + 16};
  }

  // Lays blocks out in rows: [[name, title, matrix, opts], ...] per row.
  function figure(rowsOfBlocks) {
    const svg = s("svg", {class: "toy-figure", "font-size": 12});
    let y = 0, W = 0;
    for (const row of rowsOfBlocks) {
      let x = 0, rowH = 0;
      if (typeof row === "string") {
        svg.append(s("text", {x: 0, y: y + 16, class: "step", text: row}));
        y += 26;
        continue;
      }
      for (const [name, title, m, opts] of row) {
        const size = block(svg, name, title, m, x, y, opts);
        x += size.w; rowH = Math.max(rowH, size.h);
      }
      W = Math.max(W, x); y += rowH;
    }
    svg.setAttribute("width", W); svg.setAttribute("height", y);
    return svg;
  }

  // float32 arithmetic, as the model computes (Math.fround after every operation).
  const f = Math.fround;
  const linear = (X, p) => X.map((x) => p.weight.map((w, o) => {
    let acc = 0;
    for (let i = 0; i < x.length; i++) acc = f(acc + f(x[i] * w[i]));
    return f(acc + p.bias[o]);
  }));
  const attention = (X, P) => {
    const Q = linear(X, P.query), K = linear(X, P.key), V = linear(X, P.value);
    const scale = f(Math.sqrt(K[0].length));
    const S = Q.map((q) => K.map((k) => { let a = 0; for (let i = 0; i < q.length; i++) a = f(a + f(q[i] * k[i])); return f(a / scale); }));
    const A = S.map((row) => {
      const m = Math.max(...row), e = row.map((v) => f(Math.exp(v - m)));
      const z = e.reduce((a, b) => f(a + b), 0);
      return e.map((v) => f(v / z));
    });
    const O = A.map((a) => V[0].map((_, c) => { let acc = 0; for (let j = 0; j < a.length; j++) acc = f(acc + f(a[j] * V[j][c])); return acc; }));
    return {Q, K, V, S, A, O};
  };
  const maxAbsDiff = (a, b) => a.map((row, r) => Math.max(...row.map((v, c) => Math.abs(v - b[r][c]))));

  function changeFigure(t, token, delta) {
    const P = t.parameters, X0 = t.input.map((r) => r.map(f));
    const X1 = X0.map((row, r) => (r === token - 1 ? row.map((v) => f(v + delta)) : row.slice()));
    const n0 = linear(X0, P["non_attention.linear"]), n1 = linear(X1, P["non_attention.linear"]);
    const a0 = attention(X0, P), a1 = attention(X1, P);
    const nd = maxAbsDiff(n1, n0), ad = maxAbsDiff(a1.O, a0.O);
    const svg = figure([
      [["changed_input", `X with token ${token} + ${delta}`, X1, {base: X0}],
       ["changed_non_attention_output", "non-attention output", n1, {base: n0}],
       ["changed_attention_output", "attention output", a1.O, {base: a0.O}]]]);
    const table = h("table", {class: "context-test"},
      h("tr", {}, h("th", {text: "max change per output row"}), h("th", {text: "non-attention"}), h("th", {text: "attention"})),
      nd.map((v, r) => h("tr", {"data-row": r},
        h("th", {text: `Token ${r + 1}` + (r === token - 1 ? " (changed)" : "")}),
        h("td", {class: "non-attention-change", "data-value": fmt9(v),
          text: v === 0 ? "0 (bit-identical)" : v.toFixed(6)}),
        h("td", {class: "attention-change", "data-value": fmt9(ad[r]), text: ad[r] === 0 ? "0 (bit-identical)" : ad[r].toFixed(6)}))));
    return {svg, table};
  }

  attnlab.views.toy = {
    title: "Toy walk-through",
    render(main) {
      const t = attnlab.data.toy, P = t.parameters, st = attnlab.state;
      if (st.toyToken === undefined) { st.toyToken = 1; st.toyDelta = 1; }
      const col = (v) => v.map((x) => [x]);
      const row = (v) => [v];
      const steps = figure([
        "1. Input X: 4 tokens (rows) x 4 features",
        [["input", "X", t.input]],
        "2. Non-attention layer: each token alone through nn.Linear: output = X Wᵀ + b",
        [["non_attention.weight", "W", P["non_attention.linear"].weight], ["non_attention.bias", "b", row(P["non_attention.linear"].bias)],
          ["non_attention_output", "output", t.non_attention_output]],
        "3. Attention layer: queries, keys and values, one nn.Linear each",
        [["query.weight", "W_Q", P.query.weight], ["key.weight", "W_K", P.key.weight], ["value.weight", "W_V", P.value.weight]],
        [["query.bias", "b_Q", row(P.query.bias)], ["key.bias", "b_K", row(P.key.bias)], ["value.bias", "b_V", row(P.value.bias)]],
        [["queries", "Q = X W_Qᵀ + b_Q", t.queries], ["keys", "K", t.keys], ["values", "V", t.values]],
        "4. Scores Q Kᵀ / √4, softmax over each row, output = weights · V",
        [["scores", "scores", t.scores], ["attention_weights", "softmax (attention weights)", t.attention_weights, {weights: true}],
          ["attention_row_sums", "row sums", col(t.attention_row_sums), {weights: true}]],
        "5. Side by side: every non-attention row depends on its own token; every attention row on all four",
        [["non_attention_output_2", "non-attention output", t.non_attention_output], ["attention_output", "attention output", t.attention_output]],
      ]);
      const tokenSel = h("select", {id: "toy-token", onchange: (e) => attnlab.act("toy-change", (s2) => { s2.toyToken = +e.target.value; })},
        [1, 2, 3, 4].map((i) => h("option", {value: i, text: `Token ${i}`, selected: i === st.toyToken})));
      const deltaIn = h("input", {id: "toy-delta", type: "range", min: -2, max: 2, step: 0.1, value: st.toyDelta,
        oninput: (e) => attnlab.act("toy-change", (s2) => { s2.toyDelta = +e.target.value; })});
      const change = changeFigure(t, st.toyToken, st.toyDelta);
      main.innerHTML = "";
      main.append(h("p", {class: "hint", text: `Seed ${t.seed}. Numbers as the notebook prints them (4 decimals); hover ` +
        "for the exact float32 value."}), steps,
      h("h2", {text: "What to look for: change one token"}),
      h("div", {class: "toy-control"}, "Add ", h("output", {id: "toy-delta-value", text: st.toyDelta.toFixed(1)}),
        " to every feature of ", tokenSel, " ", deltaIn),
      h("p", {class: "hint", text: "Recomputed in the page in float32. Changed cells are outlined: the non-attention " +
        "rows of the other tokens stay bit-identical, every attention row moves."}),
      change.svg, change.table);
      this.parts = [steps, change.svg];
    },
    exportSvg() {
      return attnlab.composeSvg(this.parts.map((svg) => ({width: +svg.getAttribute("width"),
        height: +svg.getAttribute("height"), markup: attnlab.svgChildren(svg, 12)})));
    },
  };
})();
