// Neuron view: for one layer, head and query token, the query vector q, every key vector k, q x k elementwise,
// q.k / sqrt(head_dim) and the softmax row: how a weight is made, on the real model's vectors.
"use strict";
(function () {
  const {h, s, fmt9} = attnlab;

  attnlab.views.neuron = {
    title: "Neuron view",
    render(main) {
      const st = attnlab.state, inp = attnlab.inputs[st.input], m = attnlab.data.model;
      const H = m.num_heads, d = m.head_dim, n = inp.n, slot = st.slot, head = st.head;
      // Tokens, not words: vectors belong to tokens, so "merge" does not apply here.
      const keySeg = st.filter === "all" ? null : (st.filter[1] === "A" ? 0 : 1);
      const querySeg = st.filter === "all" ? null : (st.filter[0] === "A" ? 0 : 1);
      const keys = [];
      for (let j = 0; j < n; j++) {
        if (st.hideSpecials && inp.special[j]) continue;
        if (keySeg !== null && inp.segment[j] !== keySeg) continue;
        keys.push(j);
      }
      let q = st.queryToken;
      if (q === null || (st.hideSpecials && inp.special[q]) || (querySeg !== null && inp.segment[q] !== querySeg)) {
        q = 0;
        while (q < n - 1 && ((st.hideSpecials && inp.special[q]) || (querySeg !== null && inp.segment[q] !== querySeg))) q++;
      }
      const vecOff = (tok) => ((slot * H + head) * n + tok) * d;
      const qv = inp.q.subarray(vecOff(q), vecOff(q) + d);
      const attRow = inp.att.subarray(((slot * H + head) * n + q) * n, ((slot * H + head) * n + q + 1) * n);
      const scale = 1 / Math.sqrt(d);
      const scores = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        const kv = inp.k.subarray(vecOff(j), vecOff(j) + d);
        let t = 0;
        for (let i = 0; i < d; i++) t += qv[i] * kv[i];
        scores[j] = t * scale;
      }
      // softmax of the scores over every key (the model masks none), recomputed here as a check on the vectors
      let mx = -Infinity, z = 0;
      for (const t of scores) mx = Math.max(mx, t);
      const soft = scores.map((t) => Math.exp(t - mx));
      for (const t of soft) z += t;
      let norm = 1;
      if (st.hideSpecials) { norm = 0; for (let j = 0; j < n; j++) if (!inp.special[j]) norm += attRow[j]; }

      const ROW = n > 64 ? 13 : 17, cw = Math.max(3, Math.min(9, Math.floor(288 / d)));
      const labelW = 110, vecW = d * cw, gap = 14;
      const xK = labelW, xP = xK + vecW + gap, xS = xP + vecW + gap, xA = xS + 90;
      const top = 64, W = xA + 120, Ht = top + keys.length * ROW + 8;
      const root = h("div", {class: "neuron", style: `width:${W}px;height:${Ht}px`, "data-layer": attnlab.modelLayer(slot),
        "data-head": head, "data-query": q});
      const kCanvas = h("canvas", {class: "keys", width: vecW, height: keys.length * ROW, style: `left:${xK}px;top:${top}px`});
      const pCanvas = h("canvas", {class: "products", width: vecW, height: keys.length * ROW, style: `left:${xP}px;top:${top}px`});
      const qCanvas = h("canvas", {class: "query-vector", width: vecW, height: ROW, style: `left:${xK}px;top:${top - ROW - 22}px`});
      let kMax = 0, pMax = 0;
      for (let i = 0; i < d; i++) kMax = Math.max(kMax, Math.abs(qv[i]));
      for (const j of keys) {
        for (let i = 0; i < d; i++) {
          const kvi = inp.k[vecOff(j) + i];
          kMax = Math.max(kMax, Math.abs(kvi));
          pMax = Math.max(pMax, Math.abs(qv[i] * kvi));
        }
      }
      const lut = attnlab.colormaps.RdBu_r;
      const paint = (canvas, rows, get, lim) => {
        const values = new Float64Array(rows * d);
        for (let r = 0; r < rows; r++) for (let i = 0; i < d; i++) values[r * d + i] = get(r, i);
        attnlab.paintMatrix(canvas, values, rows, d, cw, lut, -lim, lim);
      };
      paint(qCanvas, 1, (r, i) => qv[i], kMax);
      paint(kCanvas, keys.length, (r, i) => inp.k[vecOff(keys[r]) + i], kMax);
      paint(pCanvas, keys.length, (r, i) => qv[i] * inp.k[vecOff(keys[r]) + i], pMax);
      const hover = (canvas, what) => {
        canvas.addEventListener("mousemove", (e) => {
          const b = canvas.getBoundingClientRect();
          const i = Math.min(d - 1, Math.floor((e.clientX - b.left) / cw)), r = Math.floor((e.clientY - b.top) / ROW);
          const [label, v] = what(r, i);
          attnlab.showTooltip(e, [label, h("br"), h("b", {text: fmt9(v)})], v);
        });
        canvas.addEventListener("mouseleave", attnlab.hideTooltip);
      };
      hover(qCanvas, (r, i) => [`q[${i}] (${inp.tokens[q]})`, qv[i]]);
      hover(kCanvas, (r, i) => [`k[${i}] (${inp.tokens[keys[r]]})`, inp.k[vecOff(keys[r]) + i]]);
      hover(pCanvas, (r, i) => [`q[${i}] × k[${i}] (${inp.tokens[keys[r]]})`, Math.fround(qv[i] * inp.k[vecOff(keys[r]) + i])]);

      const svg = s("svg", {width: W, height: Ht, class: "labels", "font-size": ROW > 14 ? 12 : 10});
      const head1 = top - 6;
      svg.append(
        s("text", {x: xK, y: 14, class: "title", text: `layer ${attnlab.modelLayer(slot)}, head ${head}, query "${inp.tokens[q]}"` +
          (st.hideSpecials ? " (softmax renormalised without the special tokens)" : "")}),
        s("text", {x: xK - 6, y: top - 22 - ROW / 2, "text-anchor": "end", "dominant-baseline": "central", text: "q"}),
        s("text", {x: xK, y: head1, class: "axis", text: "key vector k"}),
        s("text", {x: xP, y: head1, class: "axis", text: "q × k (elementwise)"}),
        s("text", {x: xS, y: head1, class: "axis", text: `q·k / √${d}`}),
        s("text", {x: xA, y: head1, class: "axis", text: "softmax"}));
      keys.forEach((j, r) => {
        const y = top + (r + 0.5) * ROW;
        const a = attRow[j] / norm;
        svg.append(
          s("text", {x: xK - 6, y, "text-anchor": "end", "dominant-baseline": "central", class: "tok", "data-token": j, text: inp.tokens[j]}),
          s("text", {x: xS, y, "dominant-baseline": "central", class: "score", "data-token": j, "data-value": fmt9(scores[j]),
            text: scores[j].toFixed(4)}),
          s("text", {x: xA, y, "dominant-baseline": "central", class: "softmax", "data-token": j, "data-value": fmt9(a),
            "data-recomputed": fmt9(soft[j] / z), text: a.toFixed(6)}),
          s("rect", {x: xA + 66, y: y - ROW / 2 + 2, height: ROW - 4, width: Math.max(0.5, 50 * a), class: "bar"}));
      });
      root.append(qCanvas, kCanvas, pCanvas, svg);
      main.innerHTML = "";
      main.append(h("p", {class: "hint", text: "score = q·k / √head_dim for every key; softmax turns the row of scores into " +
        "the attention weights (shown: the model's own weights; hover a cell for exact vector values). Vectors belong to " +
        "tokens, so 'merge subwords' does not apply in this view."}), root);
      root.exportSvg = () => {
        let markup = "";
        for (const cv of [qCanvas, kCanvas, pCanvas]) {
          markup += `<image x="${parseFloat(cv.style.left)}" y="${parseFloat(cv.style.top)}" width="${cv.width}" height="${cv.height}" href="${cv.toDataURL("image/png")}"/>`;
        }
        return {width: W, height: Ht, markup: markup + attnlab.svgChildren(svg, svg.getAttribute("font-size"))};
      };
      this.root = root;
    },
    exportSvg() { return attnlab.composeSvg([this.root.exportSvg()]); },
  };
})();
