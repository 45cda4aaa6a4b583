// The page's data (#attnlab-data) and the token transforms every real-model view shares: hide special tokens
// (remaining weights renormalised), merge subwords into words, and the sentence-pair filter.
"use strict";
const matrixCache = new Map();  // shown matrices by input, layer slot, head and transform

// Reads #attnlab-data and decodes every array. Model inputs become
// {text, pair, tokens, word_ids, n, segment[], special[], att, q, k} with att/q/k Float32Arrays laid out as
// [layer slot, head, query, key] and [layer slot, head, token, head_dim].
attnlab.load = async function (data = JSON.parse(document.getElementById("attnlab-data").textContent)) {
  if (data.format !== "attnlab-view/1") throw new Error("unknown data format " + data.format);
  attnlab.data = data;
  attnlab.dataVersion = (attnlab.dataVersion || 0) + 1;  // views keyed on the data rebuild when it changes
  matrixCache.clear();
  if (data.kind !== "model") return data;
  const m = data.model;
  attnlab.inputs = [];
  for (const raw of data.inputs) {
    const [att, q, k] = await Promise.all([raw.attentions, raw.queries, raw.keys].map(attnlab.decodeArray));
    const n = raw.tokens.length;
    const expect = [data.layers.length, m.num_heads, n];
    if (att.shape.join() !== [...expect, n].join()) throw new Error(`attentions shape [${att.shape}]`);
    if (q.shape.join() !== [...expect, m.head_dim].join()) throw new Error(`queries shape [${q.shape}]`);
    if (k.shape.join() !== [...expect, m.head_dim].join()) throw new Error(`keys shape [${k.shape}]`);
    const types = raw.token_type_ids || raw.tokens.map(() => 0);
    attnlab.inputs.push({
      text: raw.text, pair: raw.pair, tokens: raw.tokens, word_ids: raw.word_ids, n,
      // Special tokens by their role (bos, eos, cls, sep, ...), as the tokenizer names them; pages written
      // before roles existed mark the tokens without a word.
      segment: types.map((t) => (t ? 1 : 0)),
      special: raw.special ? raw.special.map((r) => r !== null) : raw.word_ids.map((w) => w === null),
      att: att.data, q: q.data, k: k.data,
    });
  }
  return data;
};

// Token groups after "hide specials" and "merge": [{label, members: [token index], seg, special}].
attnlab.groups = function (inp) {
  const st = attnlab.state;
  const key = `${st.hideSpecials}|${st.merge}`;
  inp._groups = inp._groups || {};
  if (inp._groups[key]) return inp._groups[key];
  const groups = [];
  let last = null;
  for (let i = 0; i < inp.n; i++) {
    if (st.hideSpecials && inp.special[i]) { last = null; continue; }
    const word = inp.word_ids[i];
    if (st.merge && last && word !== null && last.word === word && last.seg === inp.segment[i]) {
      last.members.push(i);
      last.label += inp.tokens[i].startsWith("##") ? inp.tokens[i].slice(2) : inp.tokens[i];
      continue;
    }
    last = {label: inp.tokens[i], members: [i], seg: inp.segment[i], special: inp.special[i], word};
    groups.push(last);
  }
  return (inp._groups[key] = groups);
};

// The groups shown as query rows and as key columns under the pair filter ("all", "AA", "AB", "BA", "BB").
attnlab.axes = function (inp) {
  const groups = attnlab.groups(inp);
  const f = attnlab.state.filter;
  if (f === "all") return {rows: groups, cols: groups};
  const seg = (c) => (c === "A" ? 0 : 1);
  return {rows: groups.filter((g) => g.seg === seg(f[0])), cols: groups.filter((g) => g.seg === seg(f[1]))};
};

// One head's matrix as shown: rows = query groups, columns = key groups. With "hide specials", each token row
// is divided by its sum over the remaining keys; with "merge", a word's cell is the sum over its key columns
// and the mean over its query rows (so rows still sum to 1). Returns {rows, cols, values: Float64Array}.
attnlab.matrix = function (inputIndex, slot, head) {
  const st = attnlab.state;
  const key = `${inputIndex}|${slot}|${head}|${st.hideSpecials}|${st.merge}|${st.filter}`;
  if (matrixCache.has(key)) return matrixCache.get(key);
  const inp = attnlab.inputs[inputIndex];
  const {rows, cols} = attnlab.axes(inp);
  const n = inp.n, H = attnlab.data.model.num_heads, A = inp.att;
  const base = (slot * H + head) * n * n;
  const R = rows.length, C = cols.length;
  const values = new Float64Array(R * C);
  let keep = null;
  if (st.hideSpecials) keep = inp.special.map((s) => !s);
  const single = cols.every((g) => g.members.length === 1);  // no merged words: one key column per column
  const colIndex = Int32Array.from(cols, (g) => g.members[0]);
  for (let r = 0; r < R; r++) {
    const members = rows[r].members, out = r * C;
    if (single && members.length === 1) {
      const off = base + members[0] * n;
      let norm = 1;
      if (keep) { norm = 0; for (let k = 0; k < n; k++) if (keep[k]) norm += A[off + k]; }
      for (let c = 0; c < C; c++) values[out + c] = A[off + colIndex[c]] / norm;
      continue;
    }
    for (const q of members) {
      const off = base + q * n;
      let norm = 1;
      if (keep) {
        norm = 0;
        for (let k = 0; k < n; k++) if (keep[k]) norm += A[off + k];
      }
      const scale = 1 / (norm * members.length);
      for (let c = 0; c < C; c++) {
        const cm = cols[c].members;
        let s = 0;
        for (let j = 0; j < cm.length; j++) s += A[off + cm[j]];
        values[out + c] += s * scale;
      }
    }
  }
  const result = {rows, cols, values, R, C};
  if (matrixCache.size > 16) matrixCache.delete(matrixCache.keys().next().value);
  matrixCache.set(key, result);
  return result;
};
attnlab.clearMatrixCache = () => matrixCache.clear();

// Positions aligned between two token sequences (longest common subsequence of their labels): [[i, j], ...].
attnlab.align = function (a, b) {
  const n = a.length, m = b.length;
  const L = new Uint16Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      L[i * (m + 1) + j] = a[i] === b[j] ? L[(i + 1) * (m + 1) + j + 1] + 1
                                         : Math.max(L[(i + 1) * (m + 1) + j], L[i * (m + 1) + j + 1]);
    }
  }
  const pairs = [];
  for (let i = 0, j = 0; i < n && j < m;) {
    if (a[i] === b[j]) { pairs.push([i, j]); i++; j++; }
    else if (L[(i + 1) * (m + 1) + j] >= L[i * (m + 1) + j + 1]) i++;
    else j++;
  }
  return pairs;
};
