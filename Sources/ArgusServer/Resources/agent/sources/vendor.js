  // vendor: navigator.vendor ("Google Inc.", "Apple Computer, Inc.", "" in Firefox).
  registerSource('vendor', function () {
    return toStringOrNull(navigator.vendor);
  });
