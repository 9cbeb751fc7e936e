// Values, unknowns, typed facts and Kleene's three-valued logic: a port of
// compiler/runtime/values.py and compiler/runtime/logic.py for the site's decision pages.
//
// Hand-written, like the Python runtime it ports: it holds the operations, never a rule.  The
// rules are generated from the checked model (compiler/backends/javascript.py) as functions
// calling these operations, exactly as the Python validators call runtime/logic.py, and
// tests/test_javascript_backend.py compares the two on random facts.
//
// Value representation (Python -> JavaScript):
//   bool -> boolean; Decimal -> Dec (exact, BigInt coefficient, 28-digit contexts as Python's
//   decimal module); date -> Day; datetime -> Moment (never in expressions); Duration ->
//   Duration; str (text, enum member) -> string; Unknown -> Unknown (the facts it waits for).

export class FactError extends Error {
  constructor(message) {
    super(message);
    this.name = "FactError";
  }
}

// ---------------------------------------------------------------- unknowns

export class Unknown {
  constructor(needs) {
    this.needs = needs; // a Set of fact names
  }
}

export function isUnknown(value) {
  return value instanceof Unknown;
}

export function fact(facts, name) {
  const value = facts.get(name);
  return value === undefined ? new Unknown(new Set([name])) : value;
}

export function merge(...values) {
  const needs = new Set();
  for (const value of values) {
    if (value instanceof Unknown) for (const x of value.needs) needs.add(x);
  }
  return new Unknown(needs);
}

function unknownAmong(...values) {
  const pending = values.filter((v) => v instanceof Unknown);
  return pending.length ? merge(...pending) : null;
}

// ---------------------------------------------------------------- decimals

// Python's decimal module, default context: 28 significant digits, ROUND_HALF_EVEN.  Only the
// numeric value matters here (values are compared, never printed), so results are kept exact
// where Python's are and rounded where Python rounds.
const PRECISION = 28;

function digits(n) {
  return n === 0n ? 1 : (n < 0n ? -n : n).toString().length;
}

function pow10(k) {
  return 10n ** BigInt(k);
}

export class Dec {
  constructor(c, e) {
    this.c = c; // BigInt coefficient
    this.e = e; // exponent: the value is c × 10^e
  }

  isZero() {
    return this.c === 0n;
  }

  isInteger() {
    if (this.e >= 0 || this.c === 0n) return true;
    return this.c % pow10(-this.e) === 0n;
  }

  // Python's Decimal.adjusted(): the exponent of the most significant digit.
  adjusted() {
    return this.e + digits(this.c) - 1;
  }
}

// c × 10^e rounded to PRECISION digits, half to even; `sticky`: a nonzero remainder was
// dropped below c already (division), which breaks a tie upwards.
function rounded(c, e, sticky = false) {
  const negative = c < 0n;
  let q = negative ? -c : c;
  let k = digits(q) - PRECISION;
  if (k <= 0) return new Dec(c, e);
  const scale = pow10(k);
  const dropped = q % scale;
  q /= scale;
  const half = 5n * pow10(k - 1);
  if (dropped > half || (dropped === half && (sticky || q % 2n === 1n))) q += 1n;
  if (digits(q) > PRECISION) {
    q /= 10n;
    k += 1;
  }
  return new Dec(negative ? -q : q, e + k);
}

const DECIMAL_TEXT = /^([+-])?(\d+(?:_\d+)*)?(?:\.(\d+(?:_\d+)*)?)?(?:[eE]([+-]?\d+(?:_\d+)*))?$/;

// Decimal(text) for the finite numbers Python accepts (None for anything else).
export function parseDecimal(text) {
  const match = DECIMAL_TEXT.exec(text);
  if (match === null) return null;
  const [, sign, whole = "", fraction = "", exponent = "0"] = match;
  const body = (whole + fraction).replaceAll("_", "");
  if (body === "") return null;
  const c = BigInt(body) * (sign === "-" ? -1n : 1n);
  const e = Number(exponent.replaceAll("_", "")) - fraction.replaceAll("_", "").length;
  return Number.isSafeInteger(e) ? new Dec(c, e) : null;
}

function aligned(a, b) {
  const e = Math.min(a.e, b.e);
  return [a.c * pow10(a.e - e), b.c * pow10(b.e - e), e];
}

export function decCompare(a, b) {
  const [x, y] = aligned(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function decAdd(a, b) {
  const [x, y, e] = aligned(a, b);
  return rounded(x + y, e);
}

function decSub(a, b) {
  const [x, y, e] = aligned(a, b);
  return rounded(x - y, e);
}

function decMul(a, b) {
  return rounded(a.c * b.c, a.e + b.e);
}

function decDiv(a, b) {
  if (a.c === 0n) return new Dec(0n, 0);
  // Enough digits that the integer quotient has more than PRECISION of them.
  const shift = Math.max(0, PRECISION + 2 + digits(b.c) - digits(a.c));
  const numerator = a.c * pow10(shift);
  const q = numerator / b.c;
  const r = numerator % b.c;
  return rounded(q, a.e - b.e - shift, r !== 0n);
}

// ---------------------------------------------------------------- dates and durations

// Days counted as Python's date.toordinal(): 0001-01-01 is day 1, proleptic Gregorian.
function daysBeforeYear(y) {
  const p = y - 1;
  return p * 365 + Math.floor(p / 4) - Math.floor(p / 100) + Math.floor(p / 400);
}

function isLeap(y) {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

function monthLength(y, m) {
  return [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
}

export class Day {
  constructor(year, month, day) {
    if (!(year >= 1 && year <= 9999 && month >= 1 && month <= 12)) {
      throw new RangeError(`date out of range: ${year}-${month}-${day}`);
    }
    if (!(day >= 1 && day <= monthLength(year, month))) {
      throw new RangeError(`day is out of range for month: ${year}-${month}-${day}`);
    }
    this.year = year;
    this.month = month;
    this.day = day;
  }

  ordinal() {
    let n = daysBeforeYear(this.year);
    for (let m = 1; m < this.month; m += 1) n += monthLength(this.year, m);
    return n + this.day;
  }

  static fromOrdinal(n) {
    let year = Math.max(1, Math.floor(n / 365.2425));
    while (daysBeforeYear(year + 1) < n) year += 1;
    while (daysBeforeYear(year) >= n) year -= 1;
    let rest = n - daysBeforeYear(year);
    let month = 1;
    while (rest > monthLength(year, month)) {
      rest -= monthLength(year, month);
      month += 1;
    }
    return new Day(year, month, rest);
  }

  iso() {
    const pad = (x, w) => String(x).padStart(w, "0");
    return `${pad(this.year, 4)}-${pad(this.month, 2)}-${pad(this.day, 2)}`;
  }
}

// A date-time fact: a local moment in China.  Expressions never read one (the checker keeps
// date-times out of conditions), but a decision's facts may include one, checked like Python.
export class Moment {
  constructor(day, hour, minute, second) {
    this.day = day;
    this.hour = hour;
    this.minute = minute;
    this.second = second;
  }
}

export const UNITS = ["workdays", "days", "hours", "months", "years"];

export class Duration {
  constructor(amount, unit) {
    this.amount = amount;
    this.unit = unit;
  }

  toString() {
    return `${this.amount} ${this.unit}`;
  }
}

export function addMonths(day, months) {
  const index = day.year * 12 + (day.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  return new Day(year, month, Math.min(day.day, monthLength(year, month)));
}

// ---------------------------------------------------------------- Kleene's connectives

export function and_(...operands) {
  return connective(false, operands);
}

export function or_(...operands) {
  return connective(true, operands);
}

function connective(decisive, operands) {
  // `decisive` settles the whole: true for or, false for and.  Operands are thunks, so that
  // one after a decisive operand is never evaluated.
  const pending = [];
  for (const operand of operands) {
    const value = operand();
    if (value instanceof Unknown) pending.push(value);
    else if (value === decisive) return decisive;
  }
  return pending.length ? merge(...pending) : !decisive;
}

export function not_(value) {
  return value instanceof Unknown ? value : !value;
}

export function inSet(value, members) {
  return value instanceof Unknown ? value : members.includes(value);
}

export function conditional(condition, then, otherwise) {
  if (condition instanceof Unknown) {
    const first = then();
    const second = otherwise();
    if (!(first instanceof Unknown) && equal(first, second)) return first;
    return merge(condition, first, second);
  }
  return condition ? then() : otherwise();
}

// ---------------------------------------------------------------- comparison and arithmetic

// Durations compare within a family: months with years, hours with days; workdays only with
// workdays.
const FAMILY = { months: ["m", 1], years: ["m", 12], days: ["h", 24], hours: ["h", 1] };

// Python's `==` between two values of the runtime.
function equal(a, b) {
  if (a instanceof Dec && b instanceof Dec) return decCompare(a, b) === 0;
  if (a instanceof Dec || b instanceof Dec) {
    // True == Decimal(1) in Python: a bool is an int.
    const other = a instanceof Dec ? b : a;
    const number = a instanceof Dec ? a : b;
    return typeof other === "boolean" && decCompare(number, new Dec(other ? 1n : 0n, 0)) === 0;
  }
  if (a instanceof Day && b instanceof Day) return a.ordinal() === b.ordinal();
  if (a instanceof Duration && b instanceof Duration) {
    return a.amount === b.amount && a.unit === b.unit;
  }
  return a === b;
}

// Python's ordering (`<`) of two values of one type: -1, 0 or 1; TypeError otherwise.
function order(a, b) {
  if (a instanceof Dec && b instanceof Dec) return decCompare(a, b);
  if (a instanceof Day && b instanceof Day) return Math.sign(a.ordinal() - b.ordinal());
  if (a instanceof Duration && b instanceof Duration) {
    // A dataclass with order=True: (amount, unit) as a tuple.
    if (a.amount !== b.amount) return a.amount < b.amount ? -1 : 1;
    return a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0;
  }
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  throw new TypeError(`cannot order ${show(a)} and ${show(b)}`);
}

function ordered(op, a, b) {
  if (op === "==") return equal(a, b);
  if (op === "!=") return !equal(a, b);
  const sign = order(a, b);
  switch (op) {
    case ">=":
      return sign >= 0;
    case "<=":
      return sign <= 0;
    case ">":
      return sign > 0;
    case "<":
      return sign < 0;
    default:
      throw new TypeError(`unknown comparison ${op}`);
  }
}

export function compare(op, left, right) {
  const unknown = unknownAmong(left, right);
  if (unknown !== null) return unknown;
  if (left instanceof Duration && right instanceof Duration) {
    const [l, r] = durationKey(left, right);
    return ordered(op, new Dec(BigInt(l), 0), new Dec(BigInt(r), 0));
  }
  return ordered(op, left, right);
}

function durationKey(left, right) {
  if (left.unit === right.unit) return [left.amount, right.amount];
  const l = FAMILY[left.unit];
  const r = FAMILY[right.unit];
  if (l !== undefined && r !== undefined && l[0] === r[0]) {
    return [left.amount * l[1], right.amount * r[1]];
  }
  // Days to years (or workdays to anything) is no exact conversion: 3650 days is 10 years
  // less two or three leap days.  The comparison is refused rather than guessed.
  throw new FactError(
    `cannot compare ${left} with ${right}: ${left.unit} do not convert exactly to ` +
      `${right.unit}; give the duration in ${exactUnits(right.unit)}`,
  );
}

// logic._exact_units: the units `unit` converts to exactly (its family), in FAMILY's order.
function exactUnits(unit) {
  if (FAMILY[unit] === undefined) return unit;
  const family = FAMILY[unit][0];
  return Object.keys(FAMILY)
    .filter((u) => FAMILY[u][0] === family)
    .join(" or ");
}

export function arith(op, left, right) {
  const unknown = unknownAmong(left, right);
  if (unknown !== null) return unknown;
  if (left instanceof Day && right instanceof Duration) return shift(left, right, op === "+" ? 1 : -1);
  if (left instanceof Duration && right instanceof Duration) {
    if (left.unit !== right.unit) throw new FactError(`cannot add ${left.unit} to ${right.unit}`);
    const total = op === "+" ? left.amount + right.amount : left.amount - right.amount;
    return new Duration(total, left.unit);
  }
  if (!(left instanceof Dec) || !(right instanceof Dec)) {
    throw new FactError(`cannot compute ${show(left)} ${op} ${show(right)}`);
  }
  switch (op) {
    case "+":
      return decAdd(left, right);
    case "-":
      return decSub(left, right);
    case "*":
      return decMul(left, right);
    default:
      if (right.isZero()) throw new FactError("division by zero");
      return decDiv(left, right);
  }
}

function shift(day, duration, sign) {
  if (!["days", "months", "years"].includes(duration.unit)) {
    throw new FactError(
      `date arithmetic with ${duration.unit} needs the calendar: use a deadline`,
    );
  }
  try {
    if (duration.unit === "days") return Day.fromOrdinal(day.ordinal() + sign * duration.amount);
    const months = duration.amount * (duration.unit === "years" ? 12 : 1);
    return addMonths(day, sign * months);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    // A record's 9999-12-31 plus a limit has no date: say so for that record (logic._shift).
    const edge = sign > 0 ? "after 9999-12-31" : "before 0001-01-01";
    throw new FactError(`${day.iso()} ${sign > 0 ? "+" : "-"} ${duration} is ${edge}`);
  }
}

function dayOf(moment) {
  return moment instanceof Moment ? moment.day : moment;
}

export function call(fn, ...args) {
  const unknown = unknownAmong(...args);
  if (unknown !== null) return unknown;
  if (fn === "day_of_month") {
    const day = args[0];
    if (!(day instanceof Day || day instanceof Moment)) {
      throw new FactError(`day_of_month needs a date, not ${show(day)}`);
    }
    return new Dec(BigInt(dayOf(day).day), 0);
  }
  if (fn === "inclusive_days") {
    // A notice dated by its first and last day counts both (3/4–3/6 is a 3-day notice).
    const [first, last] = args;
    const isDate = (x) => x instanceof Day || x instanceof Moment;
    if (!isDate(first) || !isDate(last)) {
      throw new FactError(`inclusive_days needs two dates, not ${show(first)} and ${show(last)}`);
    }
    return new Dec(BigInt(dayOf(last).ordinal() - dayOf(first).ordinal() + 1), 0);
  }
  // Python's min and max keep the first of equal values.
  let best = args[0];
  for (const value of args.slice(1)) {
    const sign = order(value, best);
    if (fn === "min" ? sign < 0 : sign > 0) best = value;
  }
  return best;
}

// ---------------------------------------------------------------- typed facts

// values.SHOWN_MAX and values.cut: a message shows at most this many characters of a value it
// refuses — its start and its length, never a 10 MB value whole.  Characters are code points,
// as Python counts them (an emoji is one, not two UTF-16 units; a lone surrogate is one).
export const SHOWN_MAX = 80;

export function cut(text) {
  const chars = Array.from(text);
  if (chars.length <= SHOWN_MAX) return text;
  const length = String(chars.length).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${chars.slice(0, SHOWN_MAX).join("")}… (${length} characters)`;
}

// Python's json.dumps(raw, ensure_ascii=False), which values._shown quotes: ", " and ": "
// between items, only quotes, backslashes and C0 controls escaped (a lone surrogate is kept as
// it is, where JSON.stringify would escape it).
const JSON_ESCAPES = {
  '"': '\\"',
  "\\": "\\\\",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

function pythonJson(raw) {
  if (typeof raw === "string") {
    const escaped = raw.replace(
      /[\u0000-\u001f"\\]/g,
      (ch) => JSON_ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
    return `"${escaped}"`;
  }
  if (Array.isArray(raw)) return `[${raw.map(pythonJson).join(", ")}]`;
  if (raw !== null && typeof raw === "object") {
    const items = Object.entries(raw).map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v)}`);
    return `{${items.join(", ")}}`;
  }
  return JSON.stringify(raw) ?? String(raw);
}

// values._shown: how a message quotes a value it refuses.
function show(raw) {
  if (raw instanceof Dec) return raw.c.toString() + (raw.e ? `E${raw.e}` : "");
  if (raw instanceof Day) return raw.iso();
  if (raw instanceof Duration) return raw.toString();
  if (raw === undefined) return "undefined";
  try {
    return cut(pythonJson(raw));
  } catch {
    return cut(String(raw));
  }
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const LOCAL_DATETIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:?\d{2})?$/;
const CHINA_OFFSETS = ["+08:00", "+0800"];
const DATETIME_MAX = 25;
const MAX_EXPONENT = 15;

function isoDay(text) {
  if (typeof text !== "string" || !ISO_DATE.test(text)) return null;
  try {
    return new Day(Number(text.slice(0, 4)), Number(text.slice(5, 7)), Number(text.slice(8, 10)));
  } catch {
    return null;
  }
}

// A local date-time, or a date alone (the time of day unknown); null if neither.
export function parseDatetime(raw) {
  if (typeof raw !== "string" || raw.length > DATETIME_MAX) return null;
  if (ISO_DATE.test(raw)) return isoDay(raw);
  const match = LOCAL_DATETIME.exec(raw);
  if (match === null) return null;
  const [, dayText, hour, minute, second = "00", offset] = match;
  if (offset !== undefined && !CHINA_OFFSETS.includes(offset)) {
    throw new FactError(
      // Python's repr of the text (values.parse_datetime): the pattern admits no quote.
      `'${raw}' has the time zone ${offset}; times are China Standard Time ` +
        "(+08:00): give the local time, without an offset or with +08:00",
    );
  }
  const day = isoDay(dayText);
  const [h, m, s] = [Number(hour), Number(minute), Number(second)];
  if (day === null || h > 23 || m > 59 || s > 59) return null;
  return new Moment(day, h, m, s);
}

const NUMBER_TEXT = {
  int: /^-?[0-9]+$/,
  money: /^-?[0-9]+(\.[0-9]+)?$/,
  ratio: /^-?[0-9]+(\.[0-9]+)?%?$/,
};
const DURATION_TEXT = new RegExp(`^([0-9]{1,6}) (${UNITS.join("|")})$`);

function numberValue(name, kind, raw) {
  const article = "aeiou".includes(kind[0]) ? "an" : "a";
  const fail = () => new FactError(`'${name}' is ${article} ${kind}, not ${show(raw)}`);
  let text;
  if (typeof raw === "number") {
    if (!Number.isFinite(raw)) throw fail();
    text = String(raw); // the shortest repr, as Python's str(float): the same digits
  } else if (typeof raw === "string") {
    // The one pattern per kind of values.py (and the records' JSON Schema): ASCII digits, an
    // optional minus and decimal point; no exponent, underscore, plus sign or padding.
    if (!NUMBER_TEXT[kind].test(raw)) throw fail();
    text = raw;
  } else if (typeof raw === "bigint") {
    text = raw.toString();
  } else {
    throw fail();
  }
  const percent = kind === "ratio" && typeof raw === "string" && text.endsWith("%");
  const value = parseDecimal(percent ? text.slice(0, -1) : text);
  if (
    value === null ||
    (!value.isZero() && Math.abs(value.adjusted()) > MAX_EXPONENT) ||
    (kind === "int" && !value.isInteger())
  ) {
    throw fail();
  }
  return percent ? decDiv(value, new Dec(100n, 0)) : value;
}

// A JSON value -> the fact's typed value, or FactError saying what was expected (values.py
// TYPES[...].parse).  `spec` is a fact of a generated policy module.
export function coerce(spec, raw) {
  const name = spec.name;
  switch (spec.type) {
    case "bool":
      if (typeof raw === "boolean") return raw;
      throw new FactError(`'${name}' is true or false, not ${show(raw)}`);
    case "int":
    case "money":
    case "ratio":
      return numberValue(name, spec.type, raw);
    case "date": {
      const day = isoDay(raw);
      if (day !== null) return day;
      throw new FactError(`'${name}' is a date YYYY-MM-DD, not ${show(raw)}`);
    }
    case "datetime": {
      let value;
      try {
        value = parseDatetime(raw);
      } catch (error) {
        throw new FactError(`'${name}': ${error.message}`);
      }
      if (value !== null) return value;
      throw new FactError(
        `'${name}' is a date-time YYYY-MM-DDTHH:MM (seconds optional) or a date ` +
          `YYYY-MM-DD, not ${show(raw)}`,
      );
    }
    case "duration": {
      if (typeof raw === "string") {
        const match = DURATION_TEXT.exec(raw);
        if (match !== null) return new Duration(Number(match[1]), match[2]);
      }
      throw new FactError(`'${name}' is a duration such as "3 months", not ${show(raw)}`);
    }
    case "enum":
      if (typeof raw === "string" && spec.members.includes(raw)) return raw;
      throw new FactError(`'${name}' is one of ${spec.members.join(", ")}; not ${show(raw)}`);
    case "text":
      if (typeof raw === "string") return raw;
      throw new FactError(`'${name}' is text, not ${show(raw)}`);
    default:
      throw new FactError(`'${name}' has the unknown type ${spec.type}`);
  }
}

// Typed facts (a Map); null or undefined means 'not known', the same as leaving the fact out.
export function coerceAll(specs, raw) {
  const facts = new Map();
  for (const [name, value] of Object.entries(raw)) {
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (spec === undefined) throw new FactError(`unknown fact '${cut(name)}'`);
    if (value !== null && value !== undefined) facts.set(name, coerce(spec, value));
  }
  return facts;
}
