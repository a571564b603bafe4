  // webglExtensions: {hash, count} of the supported WebGL extensions.
  registerSource('webglExtensions', function (ctx) {
    var w = sharedWebGL(ctx);
    if (!w) return null;
    var list = listOf(w.gl.getSupportedExtensions() || []).map(String);
    return { hash: hashValue(list), count: list.length };
  });
