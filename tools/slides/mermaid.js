'use strict'
// Mermaid diagrams on the slides, without a CDN and without a browser at show time.
//
// render.sh first runs `node mermaid.js DECK...`: it finds every ```mermaid block,
// draws each one it has not drawn before to an SVG with the mermaid bundle from
// node_modules inside headless Chrome, and keeps the SVGs in slides/out/.mermaid/,
// named by a hash of the diagram's text. Then Marp renders the decks, and the
// markdown-it plugin below (loaded by marp.config.js) swaps each ```mermaid block for
// its SVG, inlined as a data: URL, so an HTML deck is one self-contained file.

const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')

const cacheDir = path.resolve(__dirname, '..', '..', 'slides', 'out', '.mermaid')

// What every diagram is drawn with. Changing it (or the mermaid version) changes
// every hash, so all diagrams are drawn again.
const config = {
  startOnLoad: false,
  theme: 'base',
  securityLevel: 'strict',
  fontSize: 21, // sequence diagrams take their text size from here
  fontFamily: 'Liberation Sans, Arial, Helvetica, sans-serif',
  themeVariables: {
    fontFamily: 'Liberation Sans, Arial, Helvetica, sans-serif',
    fontSize: '22px',
    primaryColor: '#e8f1fb',
    primaryBorderColor: '#246',
    primaryTextColor: '#1f2328',
    lineColor: '#456',
    secondaryColor: '#fff4d6',
    tertiaryColor: '#eef7ee',
    noteBkgColor: '#fff8c5',
    noteBorderColor: '#9a6700',
    actorBkg: '#e8f1fb',
    actorBorder: '#246',
    signalColor: '#1f2328',
    signalTextColor: '#1f2328',
  },
  flowchart: { htmlLabels: true, curve: 'basis', padding: 10, nodeSpacing: 30, rankSpacing: 40 },
  sequence: { mirrorActors: false, actorMargin: 50, messageMargin: 28, boxMargin: 8 },
}

function mermaidVersion() {
  try {
    return require('mermaid/package.json').version
  } catch {
    return 'unknown'
  }
}

// A diagram's text as both sides see it: trailing blanks do not count.
const normalize = (code) => code.replace(/\s+$/, '')

function cacheFile(code) {
  const hash = crypto
    .createHash('sha256')
    .update(JSON.stringify(config) + '\0' + mermaidVersion() + '\0' + normalize(code))
    .digest('hex')
    .slice(0, 20)
  return path.join(cacheDir, hash + '.svg')
}

// The ```mermaid blocks of a Markdown file, with the line each starts on.
function blocks(markdown) {
  const lines = markdown.split('\n')
  const out = []
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```mermaid') continue
    const start = i
    const body = []
    for (i++; i < lines.length && lines[i].trim() !== '```'; i++) body.push(lines[i])
    out.push({ line: start + 1, code: body.join('\n') })
  }
  return out
}

// The markdown-it plugin: a ```mermaid fence becomes its drawn SVG.
function markdownItPlugin(md) {
  const fence = md.renderer.rules.fence
  md.renderer.rules.fence = (tokens, idx, options, env, self) => {
    const token = tokens[idx]
    if (token.info.trim() !== 'mermaid') return fence(tokens, idx, options, env, self)
    const file = cacheFile(token.content)
    if (!fs.existsSync(file)) {
      return (
        '<pre class="mermaid-missing"><b>diagram not drawn: run tools/slides/render.sh</b>\n' +
        md.utils.escapeHtml(token.content) +
        '</pre>\n'
      )
    }
    const svg = fs.readFileSync(file).toString('base64')
    return `<figure class="mermaid"><img alt="diagram" src="data:image/svg+xml;base64,${svg}"></figure>\n`
  }
}

// `node mermaid.js DECK...`: draws the diagrams that are not in the cache yet.
async function drawAll(decks) {
  const todo = new Map()
  for (const deck of decks) {
    for (const b of blocks(fs.readFileSync(deck, 'utf8'))) {
      const file = cacheFile(b.code)
      if (!fs.existsSync(file) && !todo.has(file)) todo.set(file, { ...b, deck })
    }
  }
  if (todo.size === 0) return
  fs.mkdirSync(cacheDir, { recursive: true })

  const puppeteer = require('puppeteer-core')
  const noSandbox = process.env.CHROME_NO_SANDBOX || process.getuid?.() === 0
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROME_PATH,
    headless: true,
    args: noSandbox ? ['--no-sandbox'] : [],
  })
  const problems = []
  try {
    const page = await browser.newPage()
    await page.setContent('<!doctype html><html><head><meta charset="utf-8"></head><body></body></html>')
    await page.addScriptTag({ path: require.resolve('mermaid/dist/mermaid.min.js') })
    await page.evaluate((cfg) => window.mermaid.initialize(cfg), config)
    let n = 0
    for (const [file, b] of todo) {
      try {
        // Mermaid returns HTML-serialized SVG (<br> in labels); an <img> needs XML.
        const svg = await page.evaluate(
          async (id, code) => {
            const box = document.createElement('div')
            box.innerHTML = (await window.mermaid.render(id, code)).svg
            return new XMLSerializer().serializeToString(box.querySelector('svg'))
          },
          `diagram${n++}`,
          b.code,
        )
        fs.writeFileSync(file, sized(svg))
      } catch (err) {
        problems.push(`${b.deck}:${b.line}: mermaid: ${String(err.message || err).split('\n')[0]}`)
      }
    }
  } finally {
    await browser.close()
  }
  console.log(`mermaid: drew ${todo.size - problems.length} diagram(s)`)
  if (problems.length > 0) throw new Error(problems.join('\n'))
}

// Mermaid sizes its SVG with width="100%" and a max-width style, which gives an
// <img> no natural size. Give it the viewBox's size instead; the slide's CSS scales it.
function sized(svg) {
  const m = svg.match(/viewBox="([-\d.]+)[ ,]+([-\d.]+)[ ,]+([\d.]+)[ ,]+([\d.]+)"/)
  if (!m) return svg
  const [w, h] = [Math.ceil(+m[3]), Math.ceil(+m[4])]
  return svg.replace(/<svg([^>]*?)\swidth="[^"]*"/, `<svg$1 width="${w}" height="${h}"`).replace(/(<svg[^>]*?)\sstyle="max-width:[^"]*"/, '$1')
}

module.exports = { markdownItPlugin, blocks, cacheFile }

if (require.main === module) {
  drawAll(process.argv.slice(2)).catch((err) => {
    console.error(String(err.message || err))
    process.exit(1)
  })
}
