  // ---- hashing: MurmurHash3 (x86, 32-bit) run with two seeds -> 64 bits ----
  // Not cryptographic: it only has to be fast and spread well, to turn large
  // renderings (canvas, WebGL pixels, parameter lists) into short ids.

  function utf8Bytes(str) {
    if (typeof TextEncoder !== 'undefined') return new TextEncoder().encode(str);
    var bin = unescape(encodeURIComponent(str));
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function murmur3x86(bytes, seed) {
    var C1 = 0xcc9e2d51;
    var C2 = 0x1b873593;
    var len = bytes.length;
    var h = seed | 0;
    var tail = len & ~3;
    var k = 0;
    var i = 0;
    for (; i < tail; i += 4) {
      k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
      k = Math.imul(k, C1);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, C2);
      h ^= k;
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
    k = 0;
    var rest = len & 3;
    if (rest === 3) k ^= bytes[i + 2] << 16;
    if (rest >= 2) k ^= bytes[i + 1] << 8;
    if (rest >= 1) {
      k ^= bytes[i];
      k = Math.imul(k, C1);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, C2);
      h ^= k;
    }
    h ^= len;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
  }

  function hex32(n) {
    var s = (n >>> 0).toString(16);
    return '00000000'.slice(s.length) + s;
  }

  // 16 lowercase hex characters.
  function hashBytes(bytes) {
    return hex32(murmur3x86(bytes, 0)) + hex32(murmur3x86(bytes, 0x2f6b1c3d));
  }

  function hashString(str) {
    return hashBytes(utf8Bytes(String(str)));
  }

  // Hash of any JSON value (key order as given).
  function hashValue(value) {
    return hashString(JSON.stringify(value === undefined ? null : value));
  }
