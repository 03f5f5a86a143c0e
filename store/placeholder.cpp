namespace sesame {}
