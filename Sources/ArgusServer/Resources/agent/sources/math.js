  // math: hash of Math function results at awkward arguments; the last bits
  // differ between JavaScript engines, versions and CPUs.
  registerSource('math', function () {
    var M = Math;
    function safe(fn, x) {
      try { return typeof fn === 'function' ? fn(x) : null; } catch (e) { return null; }
    }
    var values = [
      safe(M.acos, 0.123124234234234242), safe(M.acosh, 1e308), safe(M.asin, 0.123124234234234242),
      safe(M.asinh, 1), safe(M.atan, 0.5), safe(M.atanh, 0.5), safe(M.cbrt, 100), safe(M.cos, 10.000000000123),
      safe(M.cosh, 1), safe(M.exp, 1), safe(M.expm1, 1), safe(M.log1p, 10), safe(M.log10, 7),
      safe(M.sin, -1e300), safe(M.sinh, 1), safe(M.tan, -1e300), safe(M.tanh, 1),
      M.pow(M.PI, -100), M.pow(2, -1074) * 3, M.exp(M.E * 10), M.atan2(0.5, -0.7), M.hypot(3e-200, 4e-200)
    ];
    return hashValue(values.map(function (v) { return v === null ? null : String(v); }));
  });
