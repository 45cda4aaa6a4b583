// Matrix view: one head's heatmap (viridis, as the notebook draws it) with labels and row sums; with --compare
// the two inputs side by side and their difference (B - A) on the tokens where the two sequences align.
"use strict";
(function () {
  function difference(slot, head) {
    const a = attnlab.matrix(0, slot, head), b = attnlab.matrix(1, slot, head);
    const rowPairs = attnlab.align(a.rows.map((g) => g.label), b.rows.map((g) => g.label));
    const colPairs = attnlab.align(a.cols.map((g) => g.label), b.cols.map((g) => g.label));
    if (!rowPairs.length || !colPairs.length) return null;
    const R = rowPairs.length, C = colPairs.length, values = new Float64Array(R * C);
    let m = 0;
    rowPairs.forEach(([ra, rb], r) => colPairs.forEach(([ca, cb], c) => {
      const d = b.values[rb * b.C + cb] - a.values[ra * a.C + ca];
      values[r * C + c] = d;
      m = Math.max(m, Math.abs(d));
    }));
    const layer = attnlab.modelLayer(slot);
    const el = attnlab.heatmap({rows: rowPairs.map(([ra]) => a.rows[ra].label), cols: colPairs.map(([ca]) => a.cols[ca].label),
      values, lut: attnlab.colormaps.RdBu_r, lo: -(m || 1), hi: m || 1, maxPx: 420, rowSums: false,
      title: `difference B - A (${R} aligned tokens)`,
      describe: (r, c) => [`layer ${layer} head ${head}, B - A: `, attnlab.h("i", {text: a.rows[rowPairs[r][0]].label}),
        " → ", attnlab.h("i", {text: a.cols[colPairs[c][0]].label})]});
    el.classList.add("difference");
    return el;
  }

  attnlab.views.matrix = {
    title: "Matrix view",
    render(main) {
      const st = attnlab.state, compare = attnlab.inputs.length > 1;
      const maps = attnlab.inputs.map((_, i) => attnlab.matrixHeatmap(i, st.slot, st.head, compare ? 420 : 680));
      const diff = compare ? difference(st.slot, st.head) : null;
      main.innerHTML = "";
      main.append(attnlab.h("p", {class: "hint", text: "Rows: queries, columns: keys; viridis from 0 to the head's " +
        "largest shown weight. Hover a cell for its exact value; click a row to make it the query."}),
      attnlab.h("div", {class: "side-by-side"}, maps, diff || (compare ? attnlab.h("p", {class: "difference-none",
        text: "The two token sequences share no aligned tokens; no difference to show."}) : null)));
      this.parts = diff ? [...maps, diff] : maps;
    },
    exportSvg() { return attnlab.composeSvg(this.parts.map((p) => p.exportSvg())); },
  };
})();
