// The page's shared object, array decoding, number formatting, DOM helpers and the timing hook.
"use strict";
var attnlab = window.attnlab = {};

// Timing hook for tests and bench/viewer_bench.py (documented in web/README.md). Times are performance.now()
// milliseconds, so firstPaint counts from the start of navigation.
attnlab.timings = {firstPaint: null, decodeMs: null, interactions: []};
attnlab.ready = new Promise((resolve, reject) => { attnlab._ready = resolve; attnlab._failed = reject; });

// Runs `fn` (which updates the DOM) as one named interaction and records how long it took: script_ms until
// `fn` returns, paint_ms until the frame showing it has been produced (next animation frame, then a task).
attnlab._pending = Promise.resolve();
attnlab.measure = function (name, fn) {
  const t0 = performance.now();
  fn();
  const t1 = performance.now();
  const entry = {name, view: attnlab.state ? attnlab.state.tab : null, script_ms: t1 - t0, paint_ms: null};
  attnlab.timings.interactions.push(entry);
  attnlab._pending = new Promise((resolve) => {
    requestAnimationFrame(() => setTimeout(() => { entry.paint_ms = performance.now() - t0; resolve(entry); }, 0));
  });
  return entry;
};
// Resolves with the last interaction's timing entry once its frame is out.
attnlab.settled = () => attnlab._pending;

// ---- arrays (web/README.md: ARRAY, and the byte block) ----
function base64Bytes(text) {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// Byte value of each character a raw piece of the byte block can hold, -1 for '<' (the escape), -2 for
// none. The page is windows-1252: each byte is one character, the same code point but for 27 of
// 0x80-0x9F (the euro sign and others, found with the browser's own windows-1252 decoder); text handed
// over as latin-1 (every byte its own code point) reads the same.
let rawTable = null;
function rawByteTable() {
  if (rawTable) return rawTable;
  rawTable = new Int16Array(0x10000).fill(-2);
  for (let c = 0; c < 256; c++) rawTable[c] = c;
  const high = new TextDecoder("windows-1252").decode(Uint8Array.from({length: 32}, (_, i) => 0x80 + i));
  for (let i = 0; i < 32; i++) rawTable[high.charCodeAt(i)] = 0x80 + i;
  rawTable[60] = -1;
  return rawTable;
}

// Writes a raw piece's bytes to out from index n; returns the index after them. "<0" is NUL, "<1" CR,
// "<2" '<' (what the HTML parser would otherwise change).
function rawBytesInto(text, out, n) {
  const table = rawByteTable(), escaped = [0, 13, 60];
  for (let i = 0; i < text.length; i++) {
    let b = table[text.charCodeAt(i)];
    if (b < 0) {
      if (b === -2) throw new Error("the page's byte block holds a character that is no windows-1252 byte");
      b = escaped[text.charCodeAt(++i) - 48];
      if (b === undefined) throw new Error("the page's byte block holds a bad escape");
    }
    out[n++] = b;
  }
  return n;
}

// The page's byte block of `size` bytes (its pieces: the <script type="application/octet-stream">
// elements), decoded on first use.
let pageBytes = null;
attnlab.pageBytes = function (size) {
  if (pageBytes) return pageBytes;
  const out = new Uint8Array(size);
  let n = 0;
  for (const piece of document.querySelectorAll('script[type="application/octet-stream"]')) {
    const encoding = piece.dataset.encoding;
    if (encoding === "raw") {
      n = rawBytesInto(piece.textContent, out, n);
    } else if (encoding === "base64") {
      const bytes = base64Bytes(piece.textContent);
      if (n + bytes.length <= size) out.set(bytes, n);
      n += bytes.length;
    } else {
      throw new Error("unknown byte block encoding " + encoding);
    }
  }
  if (n !== size) {
    throw new Error(`the page's byte block holds ${n} bytes, not ${size}: the file was changed (saved again ` +
                    "in another encoding?); write it anew with attnlab view");
  }
  return (pageBytes = out);
};

let f16Table = null;
function f16ToF32(u16) {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, m = h & 1023;
      f16Table[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
    }
  }
  const out = new Float32Array(u16.length);
  for (let i = 0; i < u16.length; i++) out[i] = f16Table[u16[i]];
  return out;
}

async function inflateRaw(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// ARRAY -> {shape, data: Float32Array}
attnlab.decodeArray = async function (a) {
  const size = a.dtype === "f16" ? 2 : a.dtype === "f32" ? 4 : 0;
  if (!size) throw new Error("unknown dtype " + a.dtype);
  const count = a.shape.reduce((x, y) => x * y, 1);
  const where = a.encoding.slice(a.encoding.lastIndexOf("-") + 1);
  let bytes;
  if (where === "base64") bytes = base64Bytes(a.data);
  else if (where === "block") bytes = attnlab.pageBytes(attnlab.data.bytes).slice(a.offset, a.offset + a.size);
  else throw new Error("unknown encoding " + a.encoding);
  if (a.encoding.startsWith("shuffle-deflate-")) {
    const shuffled = await inflateRaw(bytes);
    if (shuffled.length !== count * size) throw new Error(`array of shape [${a.shape}] inflates to ${shuffled.length} bytes`);
    bytes = new Uint8Array(count * size);
    for (let b = 0; b < size; b++) {
      const plane = shuffled.subarray(b * count, (b + 1) * count);
      for (let i = 0, j = b; i < count; i++, j += size) bytes[j] = plane[i];
    }
  } else if (a.encoding !== where) {
    throw new Error("unknown encoding " + a.encoding);
  }
  if (bytes.length !== count * size) throw new Error(`array of shape [${a.shape}] has ${bytes.length} bytes`);
  const data = size === 4 ? new Float32Array(bytes.buffer, bytes.byteOffset, count)
                          : f16ToF32(new Uint16Array(bytes.buffer, bytes.byteOffset, count));
  return {shape: a.shape, data};
};

// ---- numbers ----
// printf("%.9g") of a float32 (9 significant digits read back to the same float32).
attnlab.fmt9 = function (v) {
  if (!isFinite(v)) return String(v);
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  const exp = Math.floor(Math.log10(Math.abs(v)));
  let s = v.toPrecision(9);
  if (s.includes("e")) {
    let [m, e] = s.split("e");
    if (m.includes(".")) m = m.replace(/0+$/, "").replace(/\.$/, "");
    const en = parseInt(e, 10);
    return m + "e" + (en < 0 ? "-" : "+") + String(Math.abs(en)).padStart(2, "0");
  }
  if (exp < -4) {  // toPrecision stays fixed down to 1e-7; %g switches to exponent form below 1e-4
    let [m, e] = v.toExponential(8).split("e");
    m = m.replace(/0+$/, "").replace(/\.$/, "");
    const en = parseInt(e, 10);
    return m + "e" + (en < 0 ? "-" : "+") + String(Math.abs(en)).padStart(2, "0");
  }
  if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
  return s;
};
// The notebook prints tensors with 4 decimals.
attnlab.fmt4 = (v) => (Object.is(v, -0) ? 0 : v).toFixed(4);

// ---- DOM ----
const SVG_NS = "http://www.w3.org/2000/svg";
attnlab.h = function (tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
};
attnlab.s = function (tag, attrs, ...children) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined) continue;
    if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
};
// An on-page <svg>'s children as markup for an export, in one <g> with the page's font (skipping `skip` elements).
attnlab.svgChildren = function (svg, fontSize, skip) {
  const ser = new XMLSerializer();
  let markup = `<g font-size="${fontSize}" font-family="DejaVu Sans, sans-serif">`;
  for (const child of svg.children) if (!skip || !skip(child)) markup += ser.serializeToString(child);
  return markup + "</g>";
};
attnlab.escapeXml = (t) => String(t).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}[c]));

// Tooltip: shows a label and an exact value; data-value holds the value's %.9g text for tests.
attnlab.showTooltip = function (event, html, value) {
  const tip = document.getElementById("tooltip");
  tip.innerHTML = "";
  tip.append(...html);
  if (value === undefined) tip.removeAttribute("data-value");
  else tip.setAttribute("data-value", attnlab.fmt9(value));
  tip.hidden = false;
  const x = event.clientX + 14, y = event.clientY + 14;
  tip.style.left = Math.min(x, window.innerWidth - tip.offsetWidth - 4) + "px";
  tip.style.top = Math.min(y, window.innerHeight - tip.offsetHeight - 4) + "px";
};
attnlab.hideTooltip = () => { document.getElementById("tooltip").hidden = true; };
