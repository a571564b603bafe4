  // pdfViewerEnabled: whether the browser shows PDFs inline.
  registerSource('pdfViewerEnabled', function () {
    return toBoolOrNull(navigator.pdfViewerEnabled);
  });
