  // webglHash: hash of the pixels of a small WebGL scene (a fan of triangles
  // whose fragment shader does transcendental math), which differs with the
  // GPU, driver and shader compiler.
  registerSource('webglHash', function (ctx) {
    var w = sharedWebGL(ctx);
    if (!w) return null;
    var gl = w.gl;
    var vs = 'attribute vec2 p;varying vec2 v;void main(){v=p;gl_Position=vec4(p,0.0,1.0);}';
    var fs = 'precision mediump float;varying vec2 v;void main(){' +
      'float a=atan(v.y,v.x);float r=length(v);' +
      'gl_FragColor=vec4(sin(a*7.0+r*13.0)*0.5+0.5,cos(r*21.0)*0.5+0.5,fract(exp2(r*5.3)),1.0);}';
    function shader(type, src) {
      var s = gl.createShader(type);
      gl.shaderSource(s, src);
      gl.compileShader(s);
      if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error('shader: ' + gl.getShaderInfoLog(s));
      return s;
    }
    var prog = gl.createProgram();
    gl.attachShader(prog, shader(gl.VERTEX_SHADER, vs));
    gl.attachShader(prog, shader(gl.FRAGMENT_SHADER, fs));
    gl.linkProgram(prog);
    if (!gl.getProgramParameter(prog, gl.LINK_STATUS)) throw new Error('link: ' + gl.getProgramInfoLog(prog));
    gl.useProgram(prog);
    var pts = [0, 0];
    for (var i = 0; i <= 9; i++) {
      var ang = i * Math.PI * 2 / 9;
      var rad = i % 2 ? 0.93 : 0.61;
      pts.push(Math.cos(ang) * rad, Math.sin(ang) * rad);
    }
    var buf = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, buf);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array(pts), gl.STATIC_DRAW);
    var loc = gl.getAttribLocation(prog, 'p');
    gl.enableVertexAttribArray(loc);
    gl.vertexAttribPointer(loc, 2, gl.FLOAT, false, 0, 0);
    gl.viewport(0, 0, w.canvas.width, w.canvas.height);
    gl.clearColor(0.05, 0.1, 0.15, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.drawArrays(gl.TRIANGLE_FAN, 0, pts.length / 2);
    var pixels = new Uint8Array(w.canvas.width * w.canvas.height * 4);
    gl.readPixels(0, 0, w.canvas.width, w.canvas.height, gl.RGBA, gl.UNSIGNED_BYTE, pixels);
    return hashBytes(pixels);
  });
