// onnx_decoder.js: the decoder of an imported model (an ONNX graph, vae_core/onnx_model.py), run
// in the browser by ONNX Runtime Web's WASM build. The runtime (about 15 MB) is fetched only
// when such a model is selected; the native MLP keeps decoder.js.
//
// ONNX Runtime's run() is asynchronous and one session runs one call at a time, so decoding is
// "latest wins": a z that arrives while a decode runs waits; a newer one replaces it.

let runtime = null;

function loadRuntime() {
  // Resolved here, not at import: the module is also imported outside a page (tests/js under Node).
  const folder = new URL("app/static/vendor/onnxruntime-web/", document.baseURI).href;
  runtime ??= import(folder + "ort.wasm.min.mjs").then((ort) => {
    ort.env.wasm.wasmPaths = folder;
    ort.env.wasm.numThreads = 1; // threads need cross-origin isolation, which a Streamlit page lacks
    return ort;
  });
  return runtime;
}

/**
 * Build a decoder from the payload's header ({latent_dim, image_size, output}) and the graph's bytes.
 * decodeAsync(z) resolves to pixel means (Float32Array, imageSize^2, in [0, 1]); decodeLatest(z)
 * resolves to them, or to null if a newer z came before this one was decoded.
 */
export async function makeOnnxDecoder(spec, graph) {
  const ort = await loadRuntime();
  const session = await ort.InferenceSession.create(graph, { executionProviders: ["wasm"] });
  const [input] = session.inputNames, [output] = session.outputNames;
  const latentDim = spec.latent_dim, imageSize = spec.image_size, nPixels = imageSize * imageSize;
  const logits = spec.output === "logits";
  let queue = Promise.resolve(), latest = 0;

  async function run(z) {
    const codes = new Float32Array(latentDim);
    for (let i = 0; i < latentDim; i++) codes[i] = +z[i] || 0;
    const result = await session.run({ [input]: new ort.Tensor("float32", codes, [1, latentDim]) });
    const values = result[output].data, pixels = new Float32Array(nPixels);
    for (let p = 0; p < nPixels; p++) pixels[p] = logits ? 1 / (1 + Math.exp(-values[p])) : values[p];
    return pixels;
  }
  // Each call waits for the previous one, whether that succeeded or failed.
  const decodeAsync = (z) => (queue = queue.then(() => run(z), () => run(z)));
  function decodeLatest(z) {
    const ticket = ++latest;
    const step = () => (ticket === latest ? run(z) : null);
    return (queue = queue.then(step, step));
  }
  return { isAsync: true, decodeAsync, decodeLatest, latentDim, imageSize, nPixels };
}
