  // canvas: hash of a 2D canvas rendering (text in several fonts, an emoji,
  // blended shapes, a gradient). Anti-aliasing, font rasterising and GPU or
  // software paths vary between systems. The scene is drawn twice; the
  // canvasStable component tells whether both drawings matched (per-call
  // noise is how some privacy tools and anti-detect browsers spoof it).

  function argusCanvasRender() {
    var canvas = document.createElement('canvas');
    canvas.width = 280;
    canvas.height = 64;
    var c = canvas.getContext('2d');
    if (!c || typeof canvas.toDataURL !== 'function') return null;
    c.textBaseline = 'alphabetic';
    c.fillStyle = '#f2a93b';
    c.fillRect(120, 4, 70, 22);
    c.fillStyle = '#1b5e8a';
    c.font = '15px "Times New Roman", serif';
    c.fillText('Argus <canvas> 1.0 \u00e9\u00df\u2202\u03a9 \ud83e\udd89', 4, 20);
    c.fillStyle = 'rgba(40, 180, 90, 0.62)';
    c.font = 'bold 13px Arial, sans-serif';
    c.fillText('Sphinx of black quartz, judge my vow', 8, 40);
    c.globalCompositeOperation = 'multiply';
    var colors = ['#e0245e', '#17bf63', '#1da1f2'];
    for (var i = 0; i < colors.length; i++) {
      c.fillStyle = colors[i];
      c.beginPath();
      c.arc(214 + i * 16, 40, 17, 0, Math.PI * 2, true);
      c.closePath();
      c.fill();
    }
    c.globalCompositeOperation = 'source-over';
    var g = c.createLinearGradient(0, 48, 280, 64);
    g.addColorStop(0, 'rgba(120, 40, 200, 0.9)');
    g.addColorStop(1, 'rgba(250, 250, 20, 0.4)');
    c.fillStyle = g;
    c.beginPath();
    c.moveTo(0, 64);
    c.bezierCurveTo(60, 40, 140, 70, 280, 50);
    c.lineTo(280, 64);
    c.fill();
    c.shadowBlur = 4;
    c.shadowColor = '#333';
    c.strokeStyle = '#7a1f1f';
    c.strokeText('\u2603 \u221e \u2211', 240, 16);
    return canvas.toDataURL();
  }

  function argusCanvasProbe(ctx) {
    return ctx.once('canvas', function () {
      var first = argusCanvasRender();
      if (first == null) return null;
      var second = argusCanvasRender();
      return { hash: hashString(first), stable: first === second };
    });
  }

  registerSource('canvas', function (ctx) {
    var p = argusCanvasProbe(ctx);
    return p ? p.hash : null;
  });

  registerSource('canvasStable', function (ctx) {
    var p = argusCanvasProbe(ctx);
    return p ? p.stable : null;
  });
