// A JSON reader that keeps what the salted hashes depend on and JSON.parse loses.
//
// The Python reference hashes the value `json.loads` gives: an integer literal (no fraction, no exponent) is an
// int, canonical only below 2^53 in magnitude, and any other number is a float written the ECMAScript way.
// JSON.parse makes both a JS number, so `9007199254740992` and `9007199254740992.0` would hash alike. Here every
// number is a `JsonNumber` that keeps its literal; objects are `Map`s (insertion order, the last of duplicate
// keys wins at the first one's place, as in a Python dict); `NaN`, `Infinity` and `-Infinity` are read as
// Python's `json` reads them, so refusing them is left to the hashing, with the reference's message.

export class JsonNumber {
  constructor(text) {
    this.text = text;
    this.isInteger = !/[.eE]/.test(text);
  }
  get value() {
    return Number(this.text);
  }
}

export class JsonSyntaxError extends Error {
  constructor(message, position) {
    super(`${message} at position ${position}`);
    this.name = "JsonSyntaxError";
    this.position = position;
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?/y;
const ESCAPES = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
const MAX_DEPTH = 1000;

/** The JSON text `text` as Maps, arrays, strings, `JsonNumber`s, booleans and null. */
export function parseJson(text) {
  if (typeof text !== "string") throw new TypeError("parseJson needs a string");
  let at = 0;

  const fail = (message) => {
    throw new JsonSyntaxError(message, at);
  };
  const space = () => {
    while (at < text.length) {
      const c = text.charCodeAt(at);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) at++;
      else break;
    }
  };
  const literal = (word, value) => {
    if (text.startsWith(word, at)) {
      at += word.length;
      return value;
    }
    return fail("unexpected character");
  };

  function string() {
    at++; // opening quote
    let out = "";
    let start = at;
    for (;;) {
      if (at >= text.length) fail("unterminated string");
      const c = text.charCodeAt(at);
      if (c === 0x22) {
        out += text.slice(start, at);
        at++;
        return out;
      }
      if (c < 0x20) fail("control character in a string");
      if (c === 0x5c) {
        out += text.slice(start, at);
        const e = text[at + 1];
        if (e === "u") {
          const hex = text.slice(at + 2, at + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("bad \\u escape");
          out += String.fromCharCode(parseInt(hex, 16));
          at += 6;
        } else if (e !== undefined && Object.hasOwn(ESCAPES, e)) {
          out += ESCAPES[e];
          at += 2;
        } else {
          fail("bad escape");
        }
        start = at;
        continue;
      }
      at++;
    }
  }

  function value(depth) {
    if (depth > MAX_DEPTH) fail("nested too deeply");
    space();
    const c = text[at];
    if (c === "{") {
      at++;
      const object = new Map();
      space();
      if (text[at] === "}") {
        at++;
        return object;
      }
      for (;;) {
        space();
        if (text[at] !== '"') fail("expected a key");
        const key = string();
        space();
        if (text[at] !== ":") fail("expected ':'");
        at++;
        object.set(key, value(depth + 1));
        space();
        if (text[at] === ",") {
          at++;
          continue;
        }
        if (text[at] === "}") {
          at++;
          return object;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      at++;
      const array = [];
      space();
      if (text[at] === "]") {
        at++;
        return array;
      }
      for (;;) {
        array.push(value(depth + 1));
        space();
        if (text[at] === ",") {
          at++;
          continue;
        }
        if (text[at] === "]") {
          at++;
          return array;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    if (c === "t") return literal("true", true);
    if (c === "f") return literal("false", false);
    if (c === "n") return literal("null", null);
    if (c === "N") return literal("NaN", new JsonNumber("NaN"));
    if (c === "I") return literal("Infinity", new JsonNumber("Infinity"));
    if (c === "-" && text.startsWith("-Infinity", at)) return literal("-Infinity", new JsonNumber("-Infinity"));
    NUMBER.lastIndex = at;
    const m = NUMBER.exec(text);
    if (m === null || m[0] === "") fail(at >= text.length ? "unexpected end" : "unexpected character");
    at += m[0].length;
    return new JsonNumber(m[0]);
  }

  const result = value(0);
  space();
  if (at !== text.length) fail("extra data after the JSON value");
  return result;
}

/** A plain JS value (as JSON.parse gives) of a `parseJson` tree: Maps become objects, numbers JS numbers. */
export function toPlain(node) {
  if (node instanceof Map) {
    const out = {};
    for (const [k, v] of node) Object.defineProperty(out, k, { value: toPlain(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  if (Array.isArray(node)) return node.map(toPlain);
  if (node instanceof JsonNumber) return node.value;
  return node;
}

/** A `parseJson` tree of a plain JS value (numbers that are integers are read as integer literals). */
export function fromPlain(value) {
  if (Array.isArray(value)) return value.map(fromPlain);
  if (value !== null && typeof value === "object") {
    const out = new Map();
    for (const k of Object.keys(value)) out.set(k, fromPlain(value[k]));
    return out;
  }
  if (typeof value === "number") {
    if (Number.isNaN(value)) return new JsonNumber("NaN");
    if (!Number.isFinite(value)) return new JsonNumber(value > 0 ? "Infinity" : "-Infinity");
    if (Number.isInteger(value) && Math.abs(value) < 2 ** 53) return new JsonNumber(Object.is(value, -0) ? "-0" : String(value));
    return new JsonNumber(Number.isInteger(value) ? value.toFixed(1) : String(value));
  }
  return value;
}
