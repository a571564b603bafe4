  // webglRenderer: the GPU/driver string, unmasked where available
  // ("ANGLE (NVIDIA, ...)", "... SwiftShader ..." for software rendering).
  registerSource('webglRenderer', function (ctx) {
    var w = sharedWebGL(ctx);
    if (!w) return null;
    var v = w.debugInfo ? w.gl.getParameter(w.debugInfo.UNMASKED_RENDERER_WEBGL) : w.gl.getParameter(w.gl.RENDERER);
    return toStringOrNull(v);
  });
