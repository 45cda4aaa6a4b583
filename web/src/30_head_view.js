// Head view (bertviz-like): query tokens left, key tokens right, one line per weight with the weight as its
// opacity, one colour per head. Head squares toggle heads (double-click: that head alone); hovering a token shows
// only its lines and the focused head's exact weights; clicking it pins it as the query.
"use strict";
(function () {
  const ROW = 18, GAP = 240, MIN_WEIGHT = 1 / 255;  // lines fainter than one 8-bit alpha step draw nothing

  // Strokes every line of the visible heads, batched by opacity (64 levels) so 512 x 512 x heads stays fast.
  // Returns the number of lines drawn per head.
  function drawLines(ctx, mats, heads, only) {
    ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
    ctx.lineWidth = 1.5;
    const counts = {};
    for (const head of heads) {
      const {values, R, C} = mats[head];
      const buckets = Array.from({length: 64}, () => []);
      let count = 0;
      for (let r = 0; r < R; r++) {
        if (only && only.side === "q" && only.index !== r) continue;
        for (let c = 0; c < C; c++) {
          if (only && only.side === "k" && only.index !== c) continue;
          const w = values[r * C + c];
          if (w < MIN_WEIGHT) continue;
          buckets[Math.min(63, Math.floor(w * 64))].push(r, c);
          count++;
        }
      }
      counts[head] = count;
      ctx.strokeStyle = attnlab.headColour(head);
      buckets.forEach((list, b) => {
        if (!list.length) return;
        ctx.globalAlpha = (b + 0.5) / 64;
        ctx.beginPath();
        for (let i = 0; i < list.length; i += 2) {
          ctx.moveTo(0, (list[i] + 0.5) * ROW);
          ctx.lineTo(GAP, (list[i + 1] + 0.5) * ROW);
        }
        ctx.stroke();
      });
    }
    ctx.globalAlpha = 1;
    return counts;
  }

  function block(inputIndex) {
    const {h, s, fmt9} = attnlab, st = attnlab.state, inp = attnlab.inputs[inputIndex];
    const H = attnlab.numHeads();
    const mats = Array.from({length: H}, (_, head) => attnlab.matrix(inputIndex, st.slot, head));
    const {rows, cols} = mats[0];
    const heads = [...st.visibleHeads].sort((a, b) => a - b);
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
    const svg = s("svg", {width: W, height: Ht, class: "tokens", "font-size": 12});
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
    const show = (only) => {
      const counts = drawLines(ctx, mats, heads, only);
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
    root.append(squares, area);
    root.dataset.visibleHeads = heads.join(",");
    root.dataset.focusHead = focus ?? "";
    root.exportSvg = () => {
      const ser = new XMLSerializer();
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
              if (w >= MIN_WEIGHT) markup += `<line x1="0" y1="${(r + 0.5) * ROW}" x2="${GAP}" y2="${(c + 0.5) * ROW}" stroke="${attnlab.headColour(head)}" stroke-opacity="${w.toFixed(4)}"/>`;
            }
          }
        }
        markup += "</g>";
      } else {
        markup += `<image x="${labelW + 10}" y="0" width="${GAP}" height="${Ht}" href="${canvas.toDataURL("image/png")}"/>`;
      }
      markup += `<g font-size="12" font-family="DejaVu Sans, sans-serif">`;
      for (const child of svg.children) markup += ser.serializeToString(child);
      return {width: W, height: Ht, markup: markup + "</g>"};
    };
    return root;
  }

  attnlab.views.head = {
    title: "Head view",
    render(main) {
      const st = attnlab.state;
      if (!st.visibleHeads) st.visibleHeads = new Set(Array.from({length: attnlab.numHeads()}, (_, i) => i));
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
