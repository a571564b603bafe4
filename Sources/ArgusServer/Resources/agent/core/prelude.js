/*!
 * Argus browser agent __ARGUS_AGENT_VERSION__
 * Collects device signals ("components"), sends them to an Argus server's
 * POST /v1/identify and keeps the server's token in first-party storage.
 * This file opens the closure that the other agent files share; the last
 * file of manifest.txt (core/epilogue.js) closes it.
 */
;(function (window, document, navigator) {
  'use strict';

  var AGENT_VERSION = '__ARGUS_AGENT_VERSION__';

  // The script's own URL, read while it is being evaluated (currentScript is
  // null afterwards). The default endpoint is that URL's origin.
  var SCRIPT_SRC = '';
  // The <script> element itself, for the data-site-key / data-auto-init form.
  var SCRIPT_ELEMENT = null;
  try {
    SCRIPT_ELEMENT = (document && document.currentScript) || null;
    SCRIPT_SRC = (SCRIPT_ELEMENT && SCRIPT_ELEMENT.src) || '';
  } catch (e) {
    SCRIPT_SRC = '';
  }
