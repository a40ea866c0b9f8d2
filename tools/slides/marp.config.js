'use strict'
// Marp CLI configuration for the workshop decks (render.sh passes it with --config-file).
const path = require('node:path')
const { markdownItPlugin } = require('./mermaid')

module.exports = {
  engine: ({ marp }) => marp.use(markdownItPlugin),
  // A line break inside a paragraph is a space, as on GitHub (Marp's default makes it <br>).
  options: { markdown: { breaks: false } },
  themeSet: [path.join(__dirname, 'theme.css')],
  pdfNotes: true,
  pdfOutlines: true,
}
