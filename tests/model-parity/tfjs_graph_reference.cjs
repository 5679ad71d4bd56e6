// Runs a TensorFlow.js graph model with tfjs itself (pure-JS CPU backend) on the pixels fer's
// model runner wrote, with the source project's own preprocessing, and writes its outputs.
// usage: NODE_PATH=<node_modules with @tensorflow/tfjs> node tfjs_graph_reference.cjs MODEL.json RUN_DIR NORMALIZATION
//   NORMALIZATION "minus1to1": (pixel / 255 - 0.5) * 2, as Human's emotion.ts does;
//   "blazeface": pixel / 127.5 - 1, as Human's blazeface.ts does.
// A graph with several outputs has them all written, per image, in the order of their node
// names (Identity, Identity_1, ...), each flattened: the order fer's converter gives them.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

async function main() {
  const [modelPath, runDir, normalization] = process.argv.slice(2);
  if (normalization !== 'minus1to1' && normalization !== 'blazeface')
    throw new Error(`unknown normalization ${normalization}`);
  await tf.setBackend('cpu');
  const spec = JSON.parse(fs.readFileSync(modelPath, 'utf8'));
  const weightSpecs = spec.weightsManifest.flatMap((g) => g.weights);
  const shards = spec.weightsManifest.flatMap((g) => g.paths)
    .map((p) => fs.readFileSync(path.join(path.dirname(modelPath), p)));
  const weightData = new Uint8Array(Buffer.concat(shards)).buffer;
  const model = await tf.loadGraphModel(
    tf.io.fromMemory({ modelTopology: spec.modelTopology, weightSpecs, weightData }));

  const meta = JSON.parse(fs.readFileSync(path.join(runDir, 'meta.json'), 'utf8'));
  const raw = fs.readFileSync(path.join(runDir, 'pixels.f32'));
  const pixels = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
  const input = tf.tensor4d(pixels, [meta.n, meta.height, meta.width, meta.channels]);
  const normalized = normalization === 'minus1to1' ? tf.mul(tf.sub(tf.div(input, 255), 0.5), 2)
    : tf.sub(tf.div(input, 127.5), 1);
  const names = model.outputNodes.slice()
    .sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  const values = [];
  for (let i = 0; i < meta.n; i += 1) {  // one at a time: some graphs take a batch of 1 only
    const one = tf.slice(normalized, [i, 0, 0, 0], [1, -1, -1, -1]);
    for (const t of [].concat(model.execute(one, names))) values.push(...(await t.data()));
  }
  fs.writeFileSync(path.join(runDir, 'reference.f32'), Buffer.from(new Float32Array(values).buffer));
  console.error(`tfjs ${tf.version_core}: ${meta.n} faces through ${path.basename(modelPath)}`);
}

main().catch((e) => {
  console.error(`tfjs_graph_reference: ${e.stack || e}`);
  process.exit(1);
});
