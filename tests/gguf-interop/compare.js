// Reads a GGUF file with Hugging Face's parser (@huggingface/gguf) and compares what it finds
// with what fer's reader found (a JSON file written by the fer_gguf_interop test program).
// Usage: node compare.js FILE.gguf EXPECTED.json ; exit status 0 when everything agrees.
"use strict";
const fs = require("fs");
const { gguf } = require("@huggingface/gguf");

function normalize(v) {
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(normalize);
  return v;
}

function same(a, b) {
  if (typeof a === "number" && typeof b === "number") return a === b || Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  return a === b;
}

(async () => {
  const [file, expectedPath] = process.argv.slice(2);
  const expected = JSON.parse(fs.readFileSync(expectedPath, "utf8"));
  const { metadata, tensorInfos } = await gguf(file, { allowLocalFile: true });
  const problems = [];
  for (const [key, value] of Object.entries(expected.metadata)) {
    if (!same(normalize(metadata[key]), value))
      problems.push(`metadata ${key}: fer read ${JSON.stringify(value)}, @huggingface/gguf ${JSON.stringify(normalize(metadata[key]))}`);
  }
  if (tensorInfos.length !== expected.tensors.length)
    problems.push(`tensor count: fer ${expected.tensors.length}, @huggingface/gguf ${tensorInfos.length}`);
  expected.tensors.forEach((t, i) => {
    const theirs = tensorInfos[i] || {};
    const got = { name: theirs.name, dims: normalize(theirs.shape || []), type: theirs.dtype, offset: normalize(theirs.offset) };
    for (const field of ["name", "dims", "type", "offset"])
      if (!same(got[field], t[field]))
        problems.push(`tensor ${i} ${field}: fer ${JSON.stringify(t[field])}, @huggingface/gguf ${JSON.stringify(got[field])}`);
  });
  if (problems.length) {
    console.error(problems.join("\n"));
    process.exit(1);
  }
  console.log(`@huggingface/gguf agrees: ${Object.keys(expected.metadata).length} metadata entries, ${expected.tensors.length} tensors`);
})().catch((e) => {
  console.error(`@huggingface/gguf could not read the file: ${e.message}`);
  process.exit(1);
});
