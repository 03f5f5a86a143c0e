namespace sesame::net {}
