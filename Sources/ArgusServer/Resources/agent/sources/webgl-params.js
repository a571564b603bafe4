  // webglParams: hash of the WebGL limits and shader precisions (texture
  // sizes, vector counts, precision ranges...): they follow the GPU/driver.
  registerSource('webglParams', function (ctx) {
    var w = sharedWebGL(ctx);
    if (!w) return null;
    var gl = w.gl;
    var names = ['ALIASED_LINE_WIDTH_RANGE', 'ALIASED_POINT_SIZE_RANGE', 'ALPHA_BITS', 'BLUE_BITS',
      'DEPTH_BITS', 'GREEN_BITS', 'MAX_COMBINED_TEXTURE_IMAGE_UNITS', 'MAX_CUBE_MAP_TEXTURE_SIZE',
      'MAX_FRAGMENT_UNIFORM_VECTORS', 'MAX_RENDERBUFFER_SIZE', 'MAX_TEXTURE_IMAGE_UNITS',
      'MAX_TEXTURE_SIZE', 'MAX_VARYING_VECTORS', 'MAX_VERTEX_ATTRIBS', 'MAX_VERTEX_TEXTURE_IMAGE_UNITS',
      'MAX_VERTEX_UNIFORM_VECTORS', 'MAX_VIEWPORT_DIMS', 'RED_BITS', 'RENDERER',
      'SHADING_LANGUAGE_VERSION', 'STENCIL_BITS', 'SUBPIXEL_BITS', 'VENDOR', 'VERSION'];
    var values = {};
    names.forEach(function (n) {
      var v = gl.getParameter(gl[n]);
      values[n] = v && typeof v === 'object' && v.length !== undefined ? listOf(v) : v;
    });
    var aniso = gl.getExtension('EXT_texture_filter_anisotropic') ||
      gl.getExtension('WEBKIT_EXT_texture_filter_anisotropic');
    values.MAX_TEXTURE_MAX_ANISOTROPY = aniso ? gl.getParameter(aniso.MAX_TEXTURE_MAX_ANISOTROPY_EXT) : null;
    var precisions = [];
    ['VERTEX_SHADER', 'FRAGMENT_SHADER'].forEach(function (shader) {
      ['LOW_FLOAT', 'MEDIUM_FLOAT', 'HIGH_FLOAT', 'LOW_INT', 'MEDIUM_INT', 'HIGH_INT'].forEach(function (kind) {
        var f = gl.getShaderPrecisionFormat(gl[shader], gl[kind]);
        precisions.push(f ? [f.rangeMin, f.rangeMax, f.precision] : null);
      });
    });
    values.precisions = precisions;
    return hashValue(values);
  });
