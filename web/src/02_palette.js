// Colours: the heatmap colormaps (tables in 01_colormaps.js) and one colour per head, in the default and the
// colour-blind-safe palette.
"use strict";
attnlab.colormaps = {};
for (const [name, hex] of Object.entries(attnlab.colormapHex)) {
  const lut = new Uint8Array(768);
  for (let i = 0; i < 768; i++) lut[i] = parseInt(hex.substr(2 * i, 2), 16);
  attnlab.colormaps[name] = lut;
}

// Head colours: d3's category10 plus two (bertviz uses category10); its red/green pairs are not safe for
// colour-blind readers, so the safe set is Okabe & Ito's eight followed by four of Paul Tol's. Both heatmap
// colormaps (viridis for weights, RdBu_r for differences) are readable under the common deficiencies already.
const HEAD_COLOURS = {
  default: ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
            "#17becf", "#393b79", "#637939"],
  cb: ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#332288",
       "#88CCEE", "#117733", "#882255"],
};
attnlab.headColour = (head) => {
  const list = HEAD_COLOURS[attnlab.state.palette];
  return list[head % list.length];
};

// Index into a 256-entry table for `value` normalised to [lo, hi], as matplotlib's Colormap picks it.
attnlab.lutIndex = function (value, lo, hi) {
  const t = hi > lo ? (value - lo) / (hi - lo) : 0;
  if (!(t > 0)) return 0;
  return t >= 1 ? 255 : Math.min(255, Math.floor(t * 256));
};
attnlab.cssColour = function (lut, value, lo, hi) {
  const i = attnlab.lutIndex(value, lo, hi) * 3;
  return `rgb(${lut[i]},${lut[i + 1]},${lut[i + 2]})`;
};
