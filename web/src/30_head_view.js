// Head view (bertviz-like): query tokens left, key tokens right, one line per weight with the weight as its
// opacity, one colour per head. Head squares toggle heads (double-click: that head alone); hovering a token shows
// only its lines and the focused head's exact weights; clicking it pins it as the query.
"use strict";
(function () {
  const GAP = 240, MIN_WEIGHT = 1 / 255;  // lines fainter than one 8-bit alpha step draw nothing

  const MAX_LINES = 3000;  // above this, only the strongest lines are drawn (the hint says so)

  // Draws the lines of the visible heads into the canvas with our own rasteriser (canvas paths with tens of
  // thousands of long overlapping lines take seconds in a software renderer): each line is composited over
  // white with its weight as alpha, antialiased across the two pixels nearest to it. Returns
  // {counts: lines drawn per head, threshold: the smallest weight drawn, total: lines at or above MIN_WEIGHT}.
  function drawLines(ctx, mats, heads, only, ROW) {
    const W = ctx.canvas.width, Ht = ctx.canvas.height;
    const lines = [];  // per head: flat [r, c, w, ...]
    let total = 0;
    const weights = [];
    for (const head of heads) {
      const {values, R, C} = mats[head];
      const list = [];
      for (let r = 0; r < R; r++) {
        if (only && only.side === "q" && only.index !== r) continue;
        for (let c = 0; c < C; c++) {
          if (only && only.side === "k" && only.index !== c) continue;
          const w = values[r * C + c];
          if (w >= MIN_WEIGHT) { list.push(r, c, w); weights.push(w); }
        }
      }
      total += list.length / 3;
      lines.push(list);
    }
    let threshold = MIN_WEIGHT;
    if (total > MAX_LINES) threshold = Float32Array.from(weights).sort()[total - MAX_LINES];
    // Per head, the transmittance T of every pixel (product of 1 - weight over the lines crossing it): one
    // multiply per pixel per line; the head's colour is then laid over white (and earlier heads) with alpha 1 - T.
    const px = new Float32Array(W * Ht * 3).fill(255);
    const T = new Float32Array(W * Ht);
    const counts = {};
    heads.forEach((head, hi) => {
      const hex = attnlab.headColour(head);
      const cr = parseInt(hex.substr(1, 2), 16), cg = parseInt(hex.substr(3, 2), 16), cb = parseInt(hex.substr(5, 2), 16);
      const list = lines[hi];
      T.fill(1);
      let count = 0;
      for (let i = 0; i < list.length; i += 3) {
        const w = list[i + 2];
        if (w < threshold) continue;
        count++;
        const y0 = (list[i] + 0.5) * ROW - 0.5, dy = (list[i + 1] + 0.5) * ROW - 0.5 - y0;
        if (Math.abs(dy) <= W) {  // shallow: one step per column, split between the two nearest rows
          for (let x = 0; x < W; x++) {
            const y = y0 + dy * (x + 0.5) / W, yi = y | 0, f = y - yi, j = yi * W + x;
            T[j] *= 1 - w * (1 - f);
            if (yi + 1 < Ht) T[j + W] *= 1 - w * f;
          }
        } else {  // steep: one pixel per row
          const n = Math.round(Math.abs(dy)), step = (dy > 0 ? 1 : -1) * W, dx = (W - 1) / n, keep = 1 - w;
          for (let s = 0, j0 = Math.round(y0) * W; s <= n; s++, j0 += step) T[j0 + ((s * dx + 0.5) | 0)] *= keep;
        }
      }
      for (let j = 0, k = 0; j < T.length; j++, k += 3) {
        const t = T[j];
        if (t === 1) continue;
        px[k] = cr + (px[k] - cr) * t; px[k + 1] = cg + (px[k + 1] - cg) * t; px[k + 2] = cb + (px[k + 2] - cb) * t;
      }
      counts[head] = count;
    });
    const img = ctx.createImageData(W, Ht);
    for (let i = 0, j = 0; i < px.length; i += 3, j += 4) {
      img.data[j] = px[i]; img.data[j + 1] = px[i + 1]; img.data[j + 2] = px[i + 2]; img.data[j + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    return {counts, threshold, total};
  }

  function block(inputIndex) {
    const {h, s, fmt9} = attnlab, st = attnlab.state, inp = attnlab.inputs[inputIndex];
    const H = attnlab.numHeads();
    const ROW = inp.n > 256 ? 11 : inp.n > 64 ? 13 : 18;  // px per token
    const heads = [...st.visibleHeads].sort((a, b) => a - b);
    const mats = [];  // only the heads shown (and the focused one) are computed
    for (const head of new Set([...heads, st.head])) mats[head] = attnlab.matrix(inputIndex, st.slot, head);
    const {rows, cols} = mats[st.head];
    const labelW = Math.min(150, 16 + 7.2 * Math.min(18, Math.max(...rows.concat(cols).map((g) => g.label.length), 1)));
    const W = labelW * 2 + GAP + 20, Ht = Math.max(rows.length, cols.length) * ROW + 4;
    const root = h("div", {class: "headview-block", "data-input": inputIndex});
    const squares = h("div", {class: "head-squares"}, Array.from({length: H}, (_, head) => h("span", {
      class: "head-square" + (st.visibleHeads.has(head) ? " on" : "") + (head === st.head ? " focused" : ""),
      "data-head": head, title: `head ${head} (click: toggle, double-click: only this head)`,
      style: `background:${attnlab.headColour(head)}`,
      onclick: () => attnlab.act("toggle-head", (s2) => {
        if (s2.visibleHeads.has(head)) s2.visibleHeads.delete(head); else s2.visibleHeads.add(head);
      }),
      ondblclick: () => attnlab.act("only-head", (s2) => { s2.visibleHeads = new Set([head]); s2.head = head; }),
    })));
    const svg = s("svg", {width: W, height: Ht, class: "tokens", "font-size": Math.min(12, ROW - 2)});
    const canvas = h("canvas", {width: GAP, height: Ht, style: `left:${labelW + 10}px`});
    const area = h("div", {class: "headview-area", style: `width:${W}px;height:${Ht}px`}, canvas, svg);
    const matchR = attnlab.matches(rows), matchC = attnlab.matches(cols);
    const pinned = attnlab.queryRow(rows);
    const focus = st.visibleHeads.has(st.head) ? st.head : heads[0];
    const texts = {q: [], k: [], v: []};
    rows.forEach((g, r) => {
      const t = s("text", {x: labelW, y: (r + 0.5) * ROW, "text-anchor": "end", "dominant-baseline": "central",
        class: "tok q" + (matchR.has(r) ? " match" : "") + (pinned === r ? " pinned" : ""), "data-row": r, text: g.label});
      texts.q.push(t);
      svg.append(t);
    });
    cols.forEach((g, c) => {
      const x = labelW + GAP + 20;
      const t = s("text", {x, y: (c + 0.5) * ROW, "dominant-baseline": "central",
        class: "tok k" + (matchC.has(c) ? " match" : ""), "data-col": c, text: g.label});
      const v = s("text", {x: x + labelW, y: (c + 0.5) * ROW, "dominant-baseline": "central", class: "weight", "data-col": c});
      texts.k.push(t); texts.v.push(v);
      svg.append(t, v);
    });
    const ctx = canvas.getContext("2d");
    const note = h("p", {class: "hint lines-note"});
    const show = (only) => {
      const {counts, threshold, total} = drawLines(ctx, mats, heads, only, ROW);
      root.exportThreshold = threshold;
      const drawn = Object.values(counts).reduce((a, b) => a + b, 0);
      note.textContent = drawn < total ? `Showing the ${drawn} strongest of ${total} lines (weights ≥ ${threshold.toFixed(4)}).` : "";
      root.dataset.lines = Object.entries(counts).map(([k, v]) => `${k}:${v}`).join(",");
      texts.v.forEach((v) => { v.textContent = ""; v.removeAttribute("data-value"); });
      if (only && only.side === "q" && focus !== undefined) {
        const {values, C} = mats[focus];
        texts.v.forEach((v, c) => {
          const w = values[only.index * C + c];
          v.textContent = w.toFixed(4);
          v.setAttribute("data-value", fmt9(w));
          v.setAttribute("fill", attnlab.headColour(focus));
        });
      }
      root.exportLines = only;
    };
    const base = pinned === null ? null : {side: "q", index: pinned};
    show(base);
    texts.q.forEach((t, r) => {
      t.addEventListener("mouseenter", () => show({side: "q", index: r}));
      t.addEventListener("mouseleave", () => show(base));
      t.addEventListener("click", () => attnlab.setQuery(pinned === r ? null : rows[r].members[0]));
    });
    texts.k.forEach((t, c) => {
      t.addEventListener("mouseenter", () => show({side: "k", index: c}));
      t.addEventListener("mouseleave", () => show(base));
    });
    const title = attnlab.inputs.length > 1 ? (inputIndex ? "B: " : "A: ") + inp.text : null;
    if (title) root.append(h("h3", {text: title}));
    root.append(squares, note, area);
    root.dataset.visibleHeads = heads.join(",");
    root.dataset.focusHead = focus ?? "";
    root.exportSvg = () => {
      let markup = "";
      const only = root.exportLines;
      const lineCount = heads.reduce((n, hd) => n + (+(root.dataset.lines.match(new RegExp(`(^|,)${hd}:(\\d+)`)) || [0, 0, 0])[2]), 0);
      if (lineCount <= 20000) {
        markup += `<g transform="translate(${labelW + 10},0)" stroke-width="1.5">`;
        for (const head of heads) {
          const {values, R, C} = mats[head];
          for (let r = 0; r < R; r++) {
            if (only && only.side === "q" && only.index !== r) continue;
            for (let c = 0; c < C; c++) {
              if (only && only.side === "k" && only.index !== c) continue;
              const w = values[r * C + c];
              if (w >= root.exportThreshold) markup += `<line x1="0" y1="${(r + 0.5) * ROW}" x2="${GAP}" y2="${(c + 0.5) * ROW}" stroke="${attnlab.headColour(head)}" stroke-opacity="${w.toFixed(4)}"/>`;
            }
          }
        }
        markup += "</g>";
      } else {
        markup += `<image x="${labelW + 10}" y="0" width="${GAP}" height="${Ht}" href="${canvas.toDataURL("image/png")}"/>`;
      }
      return {width: W, height: Ht, markup: markup + attnlab.svgChildren(svg, svg.getAttribute("font-size"))};
    };
    return root;
  }

  attnlab.views.head = {
    title: "Head view",
    render(main) {
      const st = attnlab.state;
      // Every head at first, as bertviz does; past 64 tokens only the focused head (toggle more on).
      if (!st.visibleHeads) {
        st.visibleHeads = attnlab.inputs[0].n > 64 ? new Set([st.head])
                                                   : new Set(Array.from({length: attnlab.numHeads()}, (_, i) => i));
      }
      main.innerHTML = "";
      const blocks = attnlab.inputs.map((_, i) => block(i));
      main.append(attnlab.h("p", {class: "hint", text: `Layer ${attnlab.modelLayer(st.slot)}: line opacity = weight, ` +
        "one colour per head. Hover a token for its lines and the focused head's weights; click it to pin it."}),
      attnlab.h("div", {class: "side-by-side"}, blocks));
      this.blocks = blocks;
    },
    exportSvg() { return attnlab.composeSvg(this.blocks.map((b) => b.exportSvg())); },
  };
})();
