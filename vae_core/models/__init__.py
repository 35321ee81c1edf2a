"""The networks and the one interface every page uses: `latent_model` (ModelInfo, LatentModel), the native
MLP VAE (`config`, `model`, `losses`) and an imported ONNX pair (`onnx_model`)."""
