  // webglVendor: the GPU vendor, unmasked through WEBGL_debug_renderer_info
  // where the browser offers it.
  registerSource('webglVendor', function (ctx) {
    var w = sharedWebGL(ctx);
    if (!w) return null;
    var v = w.debugInfo ? w.gl.getParameter(w.debugInfo.UNMASKED_VENDOR_WEBGL) : w.gl.getParameter(w.gl.VENDOR);
    return toStringOrNull(v);
  });
