// payload.js: parse the binary payloads Python sends (latent_component/_payload.py)
// and keep them for the page's lifetime, so a return to the map re-sends nothing.
//
//   "LEX2" | uint32 header length H | H bytes JSON header | sections
// header.sections[name] = {offset, dtype ("<f4" or "|u1"), shape}.

import { makeDecoder } from "./decoder.js";
import { makeOnnxDecoder } from "./onnx_decoder.js";

const MAGIC = "LEX2";
const KEEP = 6; // parsed payloads kept (a model payload is ~2.5 MB)
const payloads = new Map(); // key -> parsed payload
const waiters = new Map(); // key -> [resolve]

const ARRAY_TYPES = { "<f4": Float32Array, "|u1": Uint8Array };

/** Parse one payload (a Uint8Array) into typed-array views; an ONNX decoder is `decoderSpec` until built. */
export function parsePayload(bytes) {
  // A fresh, 4-byte aligned copy: the protobuf view may start at any offset.
  const buffer = bytes.slice().buffer;
  const text = new TextDecoder();
  const magic = text.decode(new Uint8Array(buffer, 0, 4));
  if (magic !== MAGIC) throw new Error(`latent map: bad payload magic ${magic}`);
  const headerLength = new DataView(buffer).getUint32(4, true);
  const header = JSON.parse(text.decode(new Uint8Array(buffer, 8, headerLength)));
  const section = (name) => {
    const s = header.sections[name];
    if (!s) return null;
    const Type = ARRAY_TYPES[s.dtype];
    if (!Type) return new Uint8Array(buffer, s.offset, s.shape[0]); // raw bytes (the decoder blob)
    return new Type(buffer, s.offset, s.shape.reduce((a, b) => a * b, 1));
  };
  const mu = section("mu");
  const [n, dim] = header.sections.mu.shape;
  const points = { n, dim, mu, logvar: section("logvar"), labels: section("labels"), layout: section("umap"),
    stored: { recon: section("recon_error"), confidence: section("label_confidence") } }; // null where absent
  const parsed = { key: header.key, modelName: header.model_name, points };
  if (header.kind === "model" && header.decoder.format === "onnx") {
    parsed.decoderSpec = [header.decoder, section("decoder")];
  } else if (header.kind === "model") {
    parsed.decoder = makeDecoder(header.decoder, buffer, header.sections.decoder.offset);
  }
  return parsed;
}

const building = new Set(); // keys whose ONNX decoder is being built (not asked for again meanwhile)

/**
 * Keep a payload and wake whoever waits for it. An ONNX decoder is built first (ONNX Runtime Web);
 * if it cannot be, the payload carries the reason (`error`) and the map shows it.
 */
export async function storePayload(bytes) {
  const parsed = parsePayload(bytes);
  if (payloads.has(parsed.key) || building.has(parsed.key)) return;
  if (parsed.decoderSpec) {
    building.add(parsed.key);
    try {
      parsed.decoder = await makeOnnxDecoder(...parsed.decoderSpec);
    } catch (err) {
      parsed.error = `this model's decoder could not run in your browser (${err?.message ?? err})`;
    } finally {
      building.delete(parsed.key);
    }
  }
  if (!payloads.has(parsed.key)) {
    payloads.set(parsed.key, parsed);
    while (payloads.size > KEEP) payloads.delete(payloads.keys().next().value);
  }
  for (const resolve of waiters.get(parsed.key) ?? []) resolve(payloads.get(parsed.key));
  waiters.delete(parsed.key);
}

/** The payload with this key, once it has arrived. */
export function whenPayload(key) {
  if (payloads.has(key)) return Promise.resolve(payloads.get(key));
  return new Promise((resolve) => waiters.set(key, [...(waiters.get(key) ?? []), resolve]));
}

export const hasPayload = (key) => payloads.has(key) || building.has(key);
