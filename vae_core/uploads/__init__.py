"""An uploaded or drawn image to an MNIST-style 28x28 input: `preprocess` (decode, crop, widen, deslant,
centre) and `ink` (finding the ink against any paper)."""
