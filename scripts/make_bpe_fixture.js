#!/usr/bin/env node
// Writes tests/fixtures/bpe/cases.json: inputs and the token ids that the npm
// package gpt-3-encoder@1.1.4 (the reference GPT-2 encoder in JavaScript)
// gives them, for tests/unit/test_tokenizers.cpp.
//
//   node scripts/make_bpe_fixture.js [PACKAGE_DIR] [OUT]
//
// PACKAGE_DIR is an unpacked `npm pack gpt-3-encoder@1.1.4` (the folder holding
// Encoder.js); without it the script packs one into a temporary folder with
// npm. OUT defaults to tests/fixtures/bpe/cases.json.
//
// Each case stores its input as bytes (base64), so that invalid UTF-8
// survives. The reference encodes JavaScript strings, not bytes, so:
//   source "utf8":      text given as a JS string, valid UTF-8 bytes;
//   source "bytes":     arbitrary bytes; the reference encodes
//                       new TextDecoder('utf-8', {ignoreBOM: true}).decode(bytes),
//                       which replaces each maximal ill-formed subsequence with
//                       U+FFFD (WHATWG) and keeps a leading BOM as U+FEFF text;
//   source "js_string": a JS string with lone surrogates, which no UTF-8 byte
//                       string can hold; `bytes` is TextEncoder's encoding of
//                       it (each lone surrogate becomes U+FFFD) and `ids` are
//                       the reference's ids for the JS string itself.
// `decoded` (base64) is the UTF-8 of the reference's decode(ids) (whose
// TextDecoder drops a leading BOM, unlike peso's decode); `text`
// repeats valid inputs in readable form.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const PACKAGE = 'gpt-3-encoder@1.1.4';

function unpackPackage() {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gpt3enc-'));
    execFileSync('npm', ['pack', '--silent', PACKAGE], { cwd: tmp, stdio: ['ignore', 'pipe', 'inherit'] });
    const tgz = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    execFileSync('tar', ['-xzf', tgz], { cwd: tmp });
    process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
    return path.join(tmp, 'package');
}

const packageDir = process.argv[2] || unpackPackage();
const out = process.argv[3] || path.join(__dirname, '..', 'tests', 'fixtures', 'bpe', 'cases.json');
const version = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf-8')).version;
if (version !== '1.1.4') throw new Error(`expected gpt-3-encoder 1.1.4 in ${packageDir}, found ${version}`);
const { encode, decode } = require(path.resolve(packageDir, 'Encoder.js'));

const utf8Cases = [
    ['empty', ''],
    ['english', 'Hello, world! This is a simple English sentence.'],
    ['english_paragraph',
     'First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n'],
    ['spanish', 'El niño comió piñas y jalapeños en el año 2024; ¿qué pasó? ¡Olé!'],
    ['spanish_upper', 'ÁRBOL ÉPICO ÍNDICE ÓRBITA ÚLTIMO ÑANDÚ Ü'],
    ['french_german', 'Ça va? Déjà vu, naïve café. Grüße aus Köln, Straße.'],
    ['cjk', '日本語のテキストと中文文本和한국어 텍스트'],
    ['cjk_punct', '「こんにちは」、世界。你好，世界！'],
    ['emoji', 'I love 🍕 and 🎉🎉🎉!'],
    ['emoji_zwj_family', '👨‍👩‍👧‍👦 family'],
    ['emoji_skin_tones', '👍🏻👍🏼👍🏽👍🏾👍🏿 ok'],
    ['emoji_flags', '🇪🇸🇺🇸🇯🇵 flags'],
    ['emoji_keycap_vs16', '1️⃣ #️⃣ ❤️ ☺︎'],
    ['spaces_runs', 'a  b   c    d     e'],
    ['leading_spaces', '   leading'],
    ['trailing_spaces', 'trailing   '],
    ['only_spaces', '     '],
    ['tabs', '\tindented\t\tcode\t'],
    ['newlines', 'line1\nline2\n\nline3\n\n\n'],
    ['crlf', 'windows\r\nline\r\n'],
    ['mixed_whitespace', ' \t \n  x \n\t y\u00a0z\u3000w\u2003v\u2028u\ufeffend'],
    ['whitespace_before_punct', 'a  !  ?\t.\n,'],
    ['code', 'def f(x):\n    return x**2 + 1  # square\n\n\tif (a && b) { c[i] = "s"; }'],
    ['contractions', "it's don't we're they've I'm you'll he'd"],
    ['contractions_upper', "IT'S DON'T WE'RE THEY'VE I'M YOU'LL HE'D"],
    ['contractions_mixed', "It'S Don'T we'Re 'll 's 'd 't 'm 're 've"],
    ['contractions_odd', "''s '''t rock'n'roll o'clock 'twas ma'am y'all'd"],
    ['curly_quotes', 'it’s “quoted” ‘single’'],
    ['numbers', '0 1 12 123 1234 12345 3.14159 -42 1,000,000 1e-9 0x1F'],
    ['numbers_unicode', '½ ² ³ Ⅻ ٣٤٥ ४२ 〇 ⑩'],
    ['punct_runs', '!!! ??? ... --- *** ,,, ;;; ::: ((())) [[]] {{}} <<>> ~~~'],
    ['punct_mix', '...!?!?... "quoted", \'single\'; (paren) [bracket] {brace} <angle> @#$%^&*_+=|\\/`~'],
    ['commas_quotes', '",",",""\',\'\',"},{"],["},"\',"\'"'],
    ['json', '{"a":",","b":"}",c:[1,2,3],"d":{"e":null}}'],
    ['comma_runs', ',,,, ,,,,,,,, ,,,,,,,,,,,,,,,,,'],
    ['mixed_scripts', 'English Русский ελληνικά עברית العربية हिन्दी ไทย'],
    ['combining_marks', 'e\u0301 a\u0300 n\u0303 Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇'],
    ['math_symbols', '∀x∈ℝ: x² ≥ 0 ⇒ √x ∈ ℝ ∪ {∞}'],
    ['control_chars', 'a\u0000b\u0001c\u007fd\u0085e\u200bf'],
    ['replacement_char', 'bad \ufffd char'],
    ['leading_bom', '\ufeffhello \ufeff world'],
    ['private_use', '\ue000\uf8ff \u{f0000}'],
    ['supplementary', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟘𝟙𝟚 𐍈 𠀀𠀁'],
    ['long_word', 'Pneumonoultramicroscopicsilicovolcanoconiosis antidisestablishmentarianism'],
    ['repeated', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'],
    ['endoftext_literal', '<|endoftext|>'],
    ['url_email', 'https://example.com/path?q=1&r=2#frag user@example.org'],
    ['markdown', '# Title\n\n- item **bold** _it_\n\n```js\nconst x = 1;\n```\n'],
    // Pieces longer than the C++ word cache takes (256 bytes).
    ['long_piece_letters', 'ab'.repeat(150) + 'c'],
    ['long_piece_spaces', ' '.repeat(600) + 'x' + ' '.repeat(300)],
    ['long_piece_mixed_word', 'Supercalifragilistic'.repeat(15) + 'ñandú'.repeat(10)],
];

// Invalid UTF-8 (and valid edge cases) as raw bytes.
const byteCases = [
    ['lone_continuation', [0x61, 0x80, 0x62]],
    ['continuation_run', [0x80, 0x81, 0xbf, 0x20, 0x61]],
    ['invalid_lead_bytes', [0x61, 0xc0, 0xc1, 0xf5, 0xf8, 0xfc, 0xfe, 0xff, 0x62]],
    ['overlong_slash', [0x2f, 0xc0, 0xaf, 0xe0, 0x80, 0xaf, 0xf0, 0x80, 0x80, 0xaf]],
    ['overlong_nul', [0x41, 0xc0, 0x80, 0x42]],
    ['truncated_2byte', [0x68, 0x6f, 0x6c, 0x61, 0xc3]],
    ['truncated_3byte', [0x20, 0xe2, 0x82]],
    ['truncated_4byte', [0x68, 0x69, 0x20, 0xf0, 0x9f, 0x98]],
    ['truncated_mid', [0xe2, 0x82, 0x61, 0xf0, 0x9f, 0x20, 0x62]],
    ['surrogate_bytes_high', [0x61, 0xed, 0xa0, 0x80, 0x62]],
    ['surrogate_bytes_low', [0xed, 0xbf, 0xbf]],
    ['surrogate_pair_cesu8', [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]],
    ['above_max_codepoint', [0xf4, 0x90, 0x80, 0x80, 0x20, 0xf7, 0xbf, 0xbf, 0xbf]],
    ['max_codepoint', [0xf4, 0x8f, 0xbf, 0xbf]],
    ['noncharacters', [0xef, 0xbf, 0xbe, 0xef, 0xbf, 0xbf]],
    ['latin1_text', [0x61, 0xf1, 0x6f, 0x20, 0x6e, 0x69, 0xf1, 0x6f, 0x20, 0x63, 0x61, 0x66, 0xe9]],
    ['space_then_invalid', [0x20, 0xff, 0x20, 0x20, 0xfe, 0x61]],
    ['invalid_in_word', [0x77, 0x6f, 0xff, 0x72, 0x64, 0x27, 0x73]],
    ['invalid_after_space_run', [0x20, 0x20, 0x20, 0xc3]],
    ['bom', [0xef, 0xbb, 0xbf, 0x68, 0x69]],
    ['nul_bytes', [0x00, 0x00, 0x61, 0x00]],
];

// Deterministic pseudo-random byte strings (valid and invalid mixed).
function lcg(seed) {
    let s = seed >>> 0;
    return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}
const rnd = lcg(20240601);
const pieces = [[0x20], [0x61], [0x27, 0x73], [0x0a], [0x2c], [0xc3, 0xb1], [0xe2, 0x82, 0xac],
                [0xf0, 0x9f, 0x98, 0x80], [0x31], [0x80], [0xc3], [0xe2, 0x82], [0xf0, 0x9f], [0xff],
                [0xed, 0xa0, 0x80], [0xe0, 0x80], [0xf4, 0x90], [0x09], [0x21]];
for (let k = 0; k < 12; ++k) {
    const bytes = [];
    const n = 4 + Math.floor(rnd() * 20);
    for (let i = 0; i < n; ++i) bytes.push(...pieces[Math.floor(rnd() * pieces.length)]);
    byteCases.push([`random_bytes_${k}`, bytes]);
}

// JS strings with lone surrogates: representable only on the JavaScript side.
const jsStringCases = [
    ['lone_high_surrogate', 'a\ud800b'],
    ['lone_low_surrogate', 'x \udc00 y'],
    ['truncated_emoji_pair', 'smile \ud83d'],
    ['reversed_pair', '\ude00\ud83d'],
    ['surrogate_then_letters', '\ud800abc\udfffdef'],
];

const textDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
const bytesToString = (bytes) => textDecoder.decode(new Uint8Array(bytes));
const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const utf8 = (s) => Array.from(new TextEncoder().encode(s));
const cases = [];
function add(name, source, bytes, jsString) {
    const ids = encode(jsString);
    if (ids.some((x) => typeof x !== 'number')) throw new Error(`${name}: reference produced a non-number id`);
    const c = { name, source };
    if (source === 'utf8') c.text = jsString;  // for people reading the file
    Object.assign(c, { bytes: b64(bytes), ids, decoded: b64(utf8(decode(ids))) });
    cases.push(c);
}
for (const [name, s] of utf8Cases) add(name, 'utf8', utf8(s), s);
for (const [name, bytes] of byteCases) add(name, 'bytes', bytes, bytesToString(bytes));
for (const [name, s] of jsStringCases) {
    const bytes = utf8(s);
    // The reason the C++ side can stand in for these: a lone surrogate
    // tokenizes exactly as U+FFFD (both are neither letter, number nor space).
    const viaBytes = encode(bytesToString(bytes));
    if (JSON.stringify(viaBytes) !== JSON.stringify(encode(s))) throw new Error(`${name}: lone surrogate != U+FFFD`);
    add(name, 'js_string', bytes, s);
}

const doc = {
    generator: 'scripts/make_bpe_fixture.js',
    reference: `gpt-3-encoder@${version}`,
    node: process.version,
    unicode: process.versions.unicode,
    cases,
};
fs.writeFileSync(out, JSON.stringify(doc, null, 0).replace(/\{"name"/g, '\n{"name"') + '\n');
console.log(`wrote ${out}: ${cases.length} cases, ${fs.statSync(out).size} bytes`);
