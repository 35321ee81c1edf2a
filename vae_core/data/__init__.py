"""The datasets (`datasets`: MNIST and Fashion-MNIST through torchvision or their raw files, class names,
the download)."""
