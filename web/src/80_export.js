// Export of the current view, drawn by the page itself: SVG (labels stay <text>) and PNG (that SVG rasterised
// on a canvas). attnlab.exportSvg() / attnlab.exportPng() return them; the buttons download them.
"use strict";
const EXPORT_STYLE = "text{fill:#222}.title{font-weight:bold}.axis{fill:#555;font-style:italic}.match{fill:#c00;" +
  "font-weight:bold}.hover{fill:none}.query-row{fill:none;stroke:#e00;stroke-width:1.5}.bar{fill:#4a7ab5}" +
  ".weight{font-size:11px}.cell.changed rect{stroke:#d00;stroke-width:2}.step{font-weight:bold;fill:#333}";

// Places the parts' SVG markup side by side in one document.
attnlab.composeSvg = function (parts) {
  const gap = 24;
  let x = 0, H = 0, body = "";
  for (const p of parts) {
    body += `<g transform="translate(${x},0)">${p.markup}</g>`;
    x += p.width + gap;
    H = Math.max(H, p.height);
  }
  const W = Math.max(1, Math.ceil(x - gap)), Ht = Math.max(1, Math.ceil(H));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${Ht}" viewBox="0 0 ${W} ${Ht}">` +
    `<style>${EXPORT_STYLE}</style><rect width="100%" height="100%" fill="#fff"/>${body}</svg>`;
};

attnlab.exportSvg = () => attnlab.views[attnlab.state.tab].exportSvg();

// Resolves with {svg, png: "data:image/png;base64,...", width, height}.
attnlab.exportPng = function () {
  const svg = attnlab.exportSvg();
  const [, w, ht] = svg.match(/^<svg[^>]* width="(\d+)" height="(\d+)"/);
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      const canvas = document.createElement("canvas");
      canvas.width = +w; canvas.height = +ht;
      const ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(img, 0, 0);
      resolve({svg, png: canvas.toDataURL("image/png"), width: canvas.width, height: canvas.height});
    };
    img.onerror = () => reject(new Error("the exported SVG did not load as an image"));
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
  });
};

// The buttons: save the file through a temporary link (no server involved).
attnlab.download = async function (kind) {
  const name = `attnlab-${attnlab.state.tab}` + (attnlab.data.kind === "model"
    ? `-layer${attnlab.modelLayer(attnlab.state.slot)}-head${attnlab.state.head}` : "") + "." + kind;
  let url;
  if (kind === "svg") {
    url = URL.createObjectURL(new Blob([attnlab.exportSvg()], {type: "image/svg+xml"}));
  } else {
    url = (await attnlab.exportPng()).png;
  }
  const a = attnlab.h("a", {href: url, download: name});
  document.body.append(a);
  a.click();
  a.remove();
  if (kind === "svg") setTimeout(() => URL.revokeObjectURL(url), 1000);
  document.getElementById("status").textContent = `Exported ${name}`;
};
