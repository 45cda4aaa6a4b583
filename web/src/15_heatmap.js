// The heatmap drawing helper shared by the matrix view, the model view's zoom and --compare: cells on a canvas
// (fast at 512 x 512), labels, annotations and row sums as SVG text over it, the exact value in a tooltip.
"use strict";

// Paints R x C values into a canvas `cell` pixels per cell through a 256-entry table.
attnlab.paintMatrix = function (canvas, values, R, C, cell, lut, lo, hi) {
  const img = new ImageData(C, R);
  const px = img.data;
  const span = hi > lo ? 256 / (hi - lo) : 0;
  for (let i = 0, p = 0; i < R * C; i++, p += 4) {
    let t = Math.floor((values[i] - lo) * span);
    t = t > 255 ? 255 : t > 0 ? t : 0;
    px[p] = lut[3 * t]; px[p + 1] = lut[3 * t + 1]; px[p + 2] = lut[3 * t + 2]; px[p + 3] = 255;
  }
  const ctx = canvas.getContext("2d");
  if (canvas.width === C && canvas.height === R) { ctx.putImageData(img, 0, 0); return; }
  const src = document.createElement("canvas");
  src.width = C; src.height = R;
  src.getContext("2d").putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = cell < 1;  // downscaled thumbnails average; enlarged cells stay sharp
  ctx.drawImage(src, 0, 0, canvas.width, canvas.height);
};

// opts: {rows, cols (label strings), values (R*C), lut, lo, hi, maxPx, rowSums, title, rowTitle, colTitle,
//        describe(r, c) -> [nodes] for the tooltip, highlightRow, matches (Set of labels to mark)}
// Returns a <div class="heatmap"> with .exportSvg() -> {width, height, markup}.
attnlab.heatmap = function (opts) {
  const {h, s, fmt4, fmt9} = attnlab;
  const R = opts.rows.length, C = opts.cols.length;
  const cell = Math.max(1, Math.min(36, Math.floor((opts.maxPx || 640) / Math.max(R, C, 1))));
  const labels = cell >= 9;
  const longest = (list) => Math.min(14, list.reduce((m, t) => Math.max(m, t.length), 1));
  const fontPx = Math.min(12, Math.max(8, cell - 2));
  const left = labels ? 12 + longest(opts.rows) * fontPx * 0.62 : 24;
  const top = (opts.title ? 22 : 4) + (labels ? 10 + longest(opts.cols) * fontPx * 0.62 : 20);
  const sumsW = opts.rowSums ? (cell >= 10 ? 86 : 20) : 0;
  const W = Math.ceil(left + C * cell + sumsW + 8), Ht = Math.ceil(top + R * cell + (opts.rowSums && cell < 10 ? 34 : 14));
  const root = h("div", {class: "heatmap", style: `width:${W}px;height:${Ht}px`, "data-rows": R, "data-cols": C});
  const canvas = h("canvas", {class: "cells", width: C * cell, height: R * cell, "data-cell": cell,
    style: `left:${left}px;top:${top}px;width:${C * cell}px;height:${R * cell}px`});
  attnlab.paintMatrix(canvas, opts.values, R, C, cell, opts.lut, opts.lo, opts.hi);
  const svg = s("svg", {width: W, height: Ht, viewBox: `0 0 ${W} ${Ht}`, class: "labels", "font-size": fontPx});
  const clip = (t) => (t.length > 14 ? t.slice(0, 13) + "…" : t);
  if (opts.title) svg.append(s("text", {x: left, y: 15, class: "title", text: opts.title}));
  if (labels) {
    opts.rows.forEach((t, r) => svg.append(s("text", {x: left - 4, y: top + (r + 0.5) * cell, class: "rowlabel" +
      (opts.matches && opts.matches.has(r) ? " match" : ""), "text-anchor": "end", "dominant-baseline": "central",
      "data-row": r, text: clip(t)})));
    opts.cols.forEach((t, c) => {
      const x = left + (c + 0.5) * cell, y = top - 4;
      svg.append(s("text", {x, y, transform: `rotate(-60 ${x} ${y})`, class: "collabel" +
        (opts.matchCols && opts.matchCols.has(c) ? " match" : ""), "data-col": c, text: clip(t)}));
    });
  } else {
    svg.append(s("text", {x: left, y: top - 6, class: "axis", text: `${opts.colTitle || "keys"} (${C}) →`}));
    svg.append(s("text", {x: 12, y: top, class: "axis", transform: `rotate(90 12 ${top})`,
      text: `${opts.rowTitle || "queries"} (${R}) →`}));
  }
  if (cell >= 30 && opts.annotate !== false) {
    for (let r = 0; r < R; r++) {
      for (let c = 0; c < C; c++) {
        const v = opts.values[r * C + c], i = 3 * attnlab.lutIndex(v, opts.lo, opts.hi), lut = opts.lut;
        const light = 0.2126 * lut[i] + 0.7152 * lut[i + 1] + 0.0722 * lut[i + 2] > 128;
        svg.append(s("text", {x: left + (c + 0.5) * cell, y: top + (r + 0.5) * cell, class: "annot",
          "text-anchor": "middle", "dominant-baseline": "central", fill: light ? "#000" : "#fff",
          "font-size": Math.min(11, cell / 4), "data-row": r, "data-col": c, "data-value": fmt9(v), text: fmt4(v)}));
      }
    }
  }
  if (opts.rowSums) {
    const sums = new Float64Array(R);
    for (let r = 0; r < R; r++) { let t = 0; for (let c = 0; c < C; c++) t += opts.values[r * C + c]; sums[r] = t; }
    const x = left + C * cell + 6;
    if (cell >= 10) {
      svg.append(s("text", {x, y: top - 6, class: "axis", text: "row sum"}));
      sums.forEach((t, r) => svg.append(s("text", {x, y: top + (r + 0.5) * cell, class: "rowsum",
        "dominant-baseline": "central", "data-row": r, "data-value": fmt9(t), text: t.toFixed(6)})));
    } else {
      let lo = Infinity, hi = -Infinity;
      for (const t of sums) { lo = Math.min(lo, t); hi = Math.max(hi, t); }
      svg.append(s("text", {x: left, y: top + R * cell + 16, class: "rowsum-range", "data-min": fmt9(lo),
        "data-max": fmt9(hi), text: `row sums: ${lo.toFixed(6)} to ${hi.toFixed(6)}`}));
    }
    root.rowSums = sums;
  }
  const mark = s("rect", {class: "hover", width: cell, height: cell, visibility: "hidden"});
  const rowMark = s("rect", {class: "query-row", x: left, width: C * cell, height: cell,
    y: top + (opts.highlightRow ?? 0) * cell, visibility: opts.highlightRow == null ? "hidden" : "visible"});
  svg.append(rowMark, mark);
  canvas.addEventListener("mousemove", (e) => {
    const b = canvas.getBoundingClientRect();
    const c = Math.min(C - 1, Math.floor((e.clientX - b.left) / cell)), r = Math.min(R - 1, Math.floor((e.clientY - b.top) / cell));
    if (r < 0 || c < 0) return;
    const v = opts.values[r * C + c];
    mark.setAttribute("x", left + c * cell); mark.setAttribute("y", top + r * cell);
    mark.setAttribute("visibility", "visible");
    const tip = opts.describe ? opts.describe(r, c) : [`${opts.rows[r]} → ${opts.cols[c]}`];
    attnlab.showTooltip(e, [...tip, h("br"), h("b", {text: fmt9(v)})], v);
    const t = document.getElementById("tooltip");
    t.setAttribute("data-row", r); t.setAttribute("data-col", c);
  });
  canvas.addEventListener("mouseleave", () => { mark.setAttribute("visibility", "hidden"); attnlab.hideTooltip(); });
  if (opts.onclick) {
    canvas.addEventListener("click", (e) => {
      const b = canvas.getBoundingClientRect();
      opts.onclick(Math.min(R - 1, Math.floor((e.clientY - b.top) / cell)), Math.min(C - 1, Math.floor((e.clientX - b.left) / cell)));
    });
  }
  root.append(canvas, svg);
  root.exportSvg = () => {
    const markup = `<image x="${left}" y="${top}" width="${C * cell}" height="${R * cell}" ` +
      `preserveAspectRatio="none" style="image-rendering:pixelated" href="${canvas.toDataURL("image/png")}"/>` +
      attnlab.svgChildren(svg, fontPx, (child) => child.classList.contains("hover"));
    return {width: W, height: Ht, markup};
  };
  root.setHighlightRow = (r) => {
    rowMark.setAttribute("visibility", r == null ? "hidden" : "visible");
    if (r != null) rowMark.setAttribute("y", top + r * cell);
  };
  return root;
};
