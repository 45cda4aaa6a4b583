// Model view: every layer x head as a canvas thumbnail (colour from 0 to each head's largest shown weight);
// clicking one zooms into its full matrix with axis labels and exact values in the tooltip.
"use strict";
(function () {
  let grid = null, gridKey = null;

  // Paints a head into a T x T thumbnail: colour from 0 to the head's largest weight; past T rows or columns,
  // each pixel shows the mean of the cells it covers.
  function thumbnail(canvas, m, T) {
    const {values, R, C} = m, lut = attnlab.colormaps.viridis;
    let hi = 0;
    for (let i = 0; i < values.length; i++) if (values[i] > hi) hi = values[i];
    if (R <= T && C <= T) { attnlab.paintMatrix(canvas, values, R, C, T / Math.max(R, C), lut, 0, hi || 1); return; }
    const rows = Math.min(R, T), cols = Math.min(C, T);
    const colBin = Int32Array.from({length: C}, (_, c) => Math.floor(c * cols / C));
    const sums = new Float64Array(rows * cols), count = new Float64Array(rows * cols);
    for (let r = 0; r < R; r++) {
      const out = Math.floor(r * rows / R) * cols, base = r * C;
      for (let c = 0; c < C; c++) { sums[out + colBin[c]] += values[base + c]; count[out + colBin[c]]++; }
    }
    for (let i = 0; i < sums.length; i++) sums[i] /= count[i];
    attnlab.paintMatrix(canvas, sums, rows, cols, T / Math.max(rows, cols), lut, 0, hi || 1);
  }

  function buildGrid() {
    const {h} = attnlab, st = attnlab.state, data = attnlab.data, H = attnlab.numHeads();
    const T = H > 12 ? 44 : 56;
    const table = h("table", {class: "thumbs"});
    table.append(h("tr", {}, h("th", {text: "layer \\ head"}), Array.from({length: H}, (_, hd) => h("th", {text: hd}))));
    data.layers.forEach((layer, slot) => {
      const tr = h("tr", {}, h("th", {text: layer}));
      for (let head = 0; head < H; head++) {
        const m = attnlab.matrix(st.input, slot, head);
        const cv = h("canvas", {class: "thumb", width: T, height: T, "data-layer": layer, "data-slot": slot, "data-head": head,
          title: `layer ${layer}, head ${head}`,
          onclick: () => attnlab.act("zoom", (s) => { s.slot = slot; s.head = head; s.zoom = true; })});
        thumbnail(cv, m, T);
        tr.append(h("td", {}, cv));
      }
      table.append(tr);
    });
    return table;
  }

  attnlab.matrixHeatmap = function (inputIndex, slot, head, maxPx, extra) {
    const st = attnlab.state, m = attnlab.matrix(inputIndex, slot, head);
    let hi = 0;
    for (const v of m.values) if (v > hi) hi = v;
    const layer = attnlab.modelLayer(slot);
    return attnlab.heatmap(Object.assign({
      rows: m.rows.map((g) => g.label), cols: m.cols.map((g) => g.label), values: m.values,
      lut: attnlab.colormaps.viridis, lo: 0, hi: hi || 1, maxPx, rowSums: true,
      title: `${attnlab.inputs.length > 1 ? (inputIndex ? "B, " : "A, ") : ""}layer ${layer}, head ${head}`,
      highlightRow: attnlab.queryRow(m.rows), matches: attnlab.matches(m.rows), matchCols: attnlab.matches(m.cols),
      describe: (r, c) => [`layer ${layer} head ${head}: `, attnlab.h("i", {text: m.rows[r].label}), " → ",
        attnlab.h("i", {text: m.cols[c].label})],
      onclick: (r) => attnlab.setQuery(m.rows[r].members[0]),
    }, extra || {}));
  };

  attnlab.views.model = {
    title: "Model view",
    render(main) {
      const st = attnlab.state;
      const key = `${attnlab.dataVersion}|${st.input}|${st.hideSpecials}|${st.merge}|${st.filter}`;
      if (key !== gridKey) { grid = buildGrid(); gridKey = key; }
      for (const cv of grid.querySelectorAll("canvas.thumb")) {
        cv.classList.toggle("current", +cv.dataset.slot === st.slot && +cv.dataset.head === st.head);
      }
      main.innerHTML = "";
      const zoom = st.zoom ? attnlab.matrixHeatmap(st.input, st.slot, st.head, 560) : null;
      if (zoom) {
        zoom.classList.add("zoom");
        zoom.dataset.layer = attnlab.modelLayer(st.slot);
        zoom.dataset.head = st.head;
      }
      main.append(attnlab.h("p", {class: "hint", text: "Rows: layers, columns: heads; colour from 0 (dark) to each " +
        "head's largest weight (yellow). Click a thumbnail to zoom; arrow keys move."}),
      attnlab.h("div", {class: "side-by-side"}, grid, zoom ? attnlab.h("div", {class: "zoom-panel"},
        attnlab.h("button", {class: "close", text: "close zoom", onclick: () => attnlab.act("unzoom", (s) => { s.zoom = false; })}),
        zoom) : null));
      this.zoom = zoom;
    },
    exportSvg() {
      const st = attnlab.state, parts = [];
      const data = attnlab.data, H = attnlab.numHeads();
      const cells = [...grid.querySelectorAll("canvas.thumb")];
      const T = cells[0].width, pad = 4, left = 40, top = 20;
      let markup = `<g font-size="11" font-family="DejaVu Sans, sans-serif">`;
      for (let hd = 0; hd < H; hd++) markup += `<text x="${left + hd * (T + pad) + T / 2}" y="14" text-anchor="middle">${hd}</text>`;
      data.layers.forEach((layer, slot) => {
        markup += `<text x="${left - 6}" y="${top + slot * (T + pad) + T / 2}" text-anchor="end">${layer}</text>`;
      });
      for (const cv of cells) {
        markup += `<image x="${left + cv.dataset.head * (T + pad)}" y="${top + cv.dataset.slot * (T + pad)}" width="${T}" height="${T}" href="${cv.toDataURL("image/png")}"/>`;
      }
      markup += "</g>";
      parts.push({width: left + H * (T + pad), height: top + data.layers.length * (T + pad), markup});
      if (this.zoom) parts.push(this.zoom.exportSvg());
      return attnlab.composeSvg(parts);
    },
  };
})();
