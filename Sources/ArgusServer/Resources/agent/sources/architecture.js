  // architecture: the high byte of a NaN made by Infinity - Infinity in a
  // Float32Array. x86 FPUs produce a negative quiet NaN (255), ARM a positive
  // one (127), whatever the user agent claims.
  registerSource('architecture', function () {
    var f = new Float32Array(1);
    var bytes = new Uint8Array(f.buffer);
    f[0] = Infinity;
    f[0] = f[0] - f[0];
    return bytes[3];
  });
