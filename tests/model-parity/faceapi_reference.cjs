// Runs face-api.js itself (face-api.node-wasm.js from @vladmandic/face-api, on @tensorflow/tfjs's
// pure-JS CPU backend) on the pixels fer's model runner wrote, and writes the expression net's
// outputs. face-api does its own normalization.
// usage: NODE_PATH=<node_modules with @tensorflow/tfjs> node faceapi_reference.cjs FACE_API_DIR RUN_DIR
//   FACE_API_DIR holds face-api.node-wasm.js and the face_expression_model files (assets/face-api).
const fs = require('fs');
const path = require('path');

async function main() {
  const [dir, runDir] = process.argv.slice(2);
  const faceapi = require(path.resolve(dir, 'face-api.node-wasm.js'));
  const { tf } = faceapi;
  await tf.setBackend('cpu');
  const manifest = JSON.parse(
    fs.readFileSync(path.join(dir, 'face_expression_model-weights_manifest.json'), 'utf8'));
  const specs = manifest.flatMap((g) => g.weights);
  const data = Buffer.concat(manifest.flatMap((g) => g.paths)
    .map((p) => fs.readFileSync(path.join(dir, p))));
  const net = new faceapi.FaceExpressionNet();
  net.loadFromWeightMap(tf.io.decodeWeights(new Uint8Array(data).buffer, specs));

  const meta = JSON.parse(fs.readFileSync(path.join(runDir, 'meta.json'), 'utf8'));
  const raw = fs.readFileSync(path.join(runDir, 'pixels.f32'));
  const pixels = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
  const size = meta.height * meta.width * meta.channels;
  const out = new Float32Array(meta.n * meta.outputs);
  for (let i = 0; i < meta.n; i++) {
    const face = tf.tensor3d(pixels.slice(i * size, (i + 1) * size),
      [meta.height, meta.width, meta.channels]);
    const probabilities = await net.forward(face);
    out.set(await probabilities.data(), i * meta.outputs);
    tf.dispose([face, probabilities]);
  }
  fs.writeFileSync(path.join(runDir, 'reference.f32'), Buffer.from(out.buffer));
  console.error(`face-api ${faceapi.version} (tfjs ${tf.version_core}): ${meta.n} faces`);
}

main().catch((e) => {
  console.error(`faceapi_reference: ${e.stack || e}`);
  process.exit(1);
});
