// ---------------------------------------------------------------------------
// decoder.js: unpack the model payload sent by Python and run the VAE decoder
// (an MLP: Linear -> ReLU -> ... -> Linear -> sigmoid) in plain JavaScript.
//
// Payload layout (built by latent_component/_payload.py, little-endian):
//   "LEX1" | uint32 header length H | H bytes of JSON header | sections...
// The header gives byte offsets (from the start of the payload) of
//   decoder weights: float32, layer by layer, weight (out, in) then bias (out)
//   means:           float32 (N, 2), latent dims 0 and 1 of the test means
//   labels:          uint8 (N,)
// ---------------------------------------------------------------------------

const PAYLOAD_MAGIC = "LEX1";

/** Parse the packed payload (a Uint8Array) into typed arrays. */
function parsePayload(bytes) {
  // Copy into a fresh, 4-byte aligned ArrayBuffer: the protobuf view we are
  // handed may start at any offset inside a larger buffer.
  const buffer = bytes.slice().buffer;
  const magic = new TextDecoder().decode(new Uint8Array(buffer, 0, 4));
  if (magic !== PAYLOAD_MAGIC) throw new Error(`latent explorer: bad payload magic ${magic}`);
  const headerLength = new DataView(buffer).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, headerLength)));
  const dec = header.decoder;
  const base = header.decoder_offset;
  const layers = dec.layers.map((spec) => ({
    nIn: spec.in,
    nOut: spec.out,
    relu: spec.activation === "relu",
    W: new Float32Array(buffer, base + spec.weight_offset, spec.in * spec.out),
    b: new Float32Array(buffer, base + spec.bias_offset, spec.out),
  }));
  const n = header.n_points;
  return {
    key: header.key,
    modelName: header.model_name,
    latentDim: dec.latent_dim,
    imageSize: dec.image_size,
    layers,
    means: new Float32Array(buffer, header.means_offset, n * 2),
    labels: new Uint8Array(buffer, header.labels_offset, n),
    nPoints: n,
    nBytes: bytes.byteLength,
  };
}

/**
 * Build a decoder for a parsed payload. Scratch buffers are allocated once, so
 * decoding on every pointer move creates no garbage.
 *
 * decode(z, out) fills `out` (Float32Array of imageSize^2 pixel means in [0, 1])
 * and returns it. Accumulation is in float64, so the result equals torch's
 * float32 `model.decode(z)` to ~1e-6.
 */
function makeDecoder(model) {
  const widest = Math.max(model.latentDim, ...model.layers.map((l) => l.nOut));
  let x = new Float64Array(widest);
  let y = new Float64Array(widest);
  const nPixels = model.imageSize * model.imageSize;

  function decode(z, out = new Float32Array(nPixels)) {
    for (let i = 0; i < model.latentDim; i++) x[i] = +z[i] || 0;
    for (const { nIn, nOut, relu, W, b } of model.layers) {
      // y = W x + b, with W stored (out, in): each output is a contiguous dot product.
      for (let o = 0; o < nOut; o++) {
        const row = o * nIn;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0; // four accumulators: more ILP for the JIT
        let i = 0;
        for (; i + 3 < nIn; i += 4) {
          s0 += W[row + i] * x[i];
          s1 += W[row + i + 1] * x[i + 1];
          s2 += W[row + i + 2] * x[i + 2];
          s3 += W[row + i + 3] * x[i + 3];
        }
        for (; i < nIn; i++) s0 += W[row + i] * x[i];
        const s = b[o] + (s0 + s1) + (s2 + s3);
        y[o] = relu && s < 0 ? 0 : s;
      }
      const t = x; x = y; y = t; // this layer's output is the next layer's input
    }
    for (let p = 0; p < nPixels; p++) out[p] = 1 / (1 + Math.exp(-x[p]));
    return out;
  }
  return { decode, nPixels };
}

/** Nearest test point to (zx, zy) in latent dims 0/1: {index, dist2}. Linear scan (10k points, ~20 us). */
function nearestPoint(model, zx, zy) {
  const m = model.means;
  let best = -1, bestD = Infinity;
  for (let k = 0; k < model.nPoints; k++) {
    const dx = m[2 * k] - zx, dy = m[2 * k + 1] - zy;
    const d = dx * dx + dy * dy;
    if (d < bestD) { bestD = d; best = k; }
  }
  return { index: best, dist2: bestD };
}
