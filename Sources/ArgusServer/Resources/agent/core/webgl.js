  // ---- one WebGL context per collection, shared by the webgl* sources ----
  // Returns {gl, canvas, debugInfo} or null when the browser has no WebGL.
  // The context is released when the collection ends (browsers cap the
  // number of live contexts).

  function sharedWebGL(ctx) {
    return ctx.once('webgl', function () {
      if (!document || typeof document.createElement !== 'function') return null;
      var canvas = document.createElement('canvas');
      canvas.width = 64;
      canvas.height = 64;
      var gl = null;
      var attrs = { antialias: false, preserveDrawingBuffer: true, powerPreference: 'default' };
      try {
        gl = canvas.getContext('webgl', attrs) || canvas.getContext('experimental-webgl', attrs);
      } catch (e) {
        gl = null;
      }
      if (!gl) return null;
      var debugInfo = null;
      try { debugInfo = gl.getExtension('WEBGL_debug_renderer_info'); } catch (e) { debugInfo = null; }
      ctx.onDispose(function () {
        var lose = gl.getExtension('WEBGL_lose_context');
        if (lose) lose.loseContext();
      });
      return { gl: gl, canvas: canvas, debugInfo: debugInfo };
    });
  }
