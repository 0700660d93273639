// Build-time stand-in for the `string-width` package inside dist/cli.cjs (see bundle.mjs).
// yargs' help layout (cliui, wrap-ansi, yargs itself) imports three copies of string-width, and
// each builds an Intl.Segmenter and Unicode-property regexes as soon as its module loads: about
// 20 ms of every dfw run, help or not, plus a new emoji regex per character measured.
// dfw's help text is ASCII: its width is its count of printable characters, which is what
// string-width returns for ASCII. Anything else (or an ANSI escape) goes to the real package,
// loaded on first use.
'use strict';

let real;

module.exports = function stringWidth(text, options) {
  if (typeof text !== 'string') return 0;
  let width = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) width++;
    else if (c >= 0x7f || c === 0x1b) return (real ??= require('string-width').default)(text, options);
    // Other ASCII control characters are zero-width.
  }
  return width;
};
