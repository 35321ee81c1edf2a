// decoder.js: the VAE decoder (an MLP: Linear -> ReLU -> ... -> Linear -> sigmoid)
// in plain JavaScript, on the float32 weights exported by vae_core/export.py.

/**
 * Build a decoder from the export manifest and the payload's buffer.
 * decode(z, out) fills `out` (Float32Array, imageSize^2 pixel means in [0, 1])
 * and returns it. Scratch buffers are allocated once, so decoding on every
 * pointer move makes no garbage; accumulating in float64 keeps the result
 * within ~1e-6 of torch's float32 model.decode(z).
 */
export function makeDecoder(manifest, buffer, base) {
  const layers = manifest.layers.map((spec) => ({
    nIn: spec.in, nOut: spec.out, relu: spec.activation === "relu",
    W: new Float32Array(buffer, base + spec.weight_offset, spec.in * spec.out),
    b: new Float32Array(buffer, base + spec.bias_offset, spec.out),
  }));
  const latentDim = manifest.latent_dim, imageSize = manifest.image_size;
  const nPixels = imageSize * imageSize;
  const widest = Math.max(latentDim, ...layers.map((l) => l.nOut));
  let x = new Float64Array(widest), y = new Float64Array(widest);

  function decode(z, out = new Float32Array(nPixels)) {
    for (let i = 0; i < latentDim; i++) x[i] = +z[i] || 0;
    for (const { nIn, nOut, relu, W, b } of layers) {
      for (let o = 0; o < nOut; o++) { // y = W x + b; W is (out, in), so each output is one contiguous row
        const row = o * nIn;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0; // four accumulators give the JIT more parallelism
        let i = 0;
        for (; i + 3 < nIn; i += 4) {
          s0 += W[row + i] * x[i]; s1 += W[row + i + 1] * x[i + 1];
          s2 += W[row + i + 2] * x[i + 2]; s3 += W[row + i + 3] * x[i + 3];
        }
        for (; i < nIn; i++) s0 += W[row + i] * x[i];
        const s = b[o] + (s0 + s1) + (s2 + s3);
        y[o] = relu && s < 0 ? 0 : s;
      }
      [x, y] = [y, x]; // this layer's output is the next one's input
    }
    for (let p = 0; p < nPixels; p++) out[p] = 1 / (1 + Math.exp(-x[p]));
    return out;
  }
  return { decode, latentDim, imageSize, nPixels };
}
