// The due-date algorithm of policyc, ported by hand from the Python runtime:
// compiler/runtime/policy.py (Limit.reckon, Due.explanation), compiler/runtime/timelimits.py
// (due_bounds, roll_over_bounds, the provisional calendar) and compiler/runtime/cli.py
// (limits_of_clause, due_json, parse_start).  It is the runtime, not the rules: the limits
// are generated data (limits/<id>.js), and tests/test_js_due.py checks that dueDates()
// returns exactly the JSON of `policyc due ID CLAUSE --start DATE --json` for every limit on
// many start dates.  Keep the two in step: change both, or neither.
//
// Days are integers (days since 1970-01-01, proleptic Gregorian, no Date objects: no time
// zone can shift them); a moment is {day, sec} with 0 <= sec < 86400 (local time in China).

import CALENDAR from "./calendar.js";

const SATURDAY = 5; // Python's date.weekday(): Monday is 0
const ROLLOVER_UNITS = ["days", "months", "years"];
const ROLLOVER_LAW = "民法典 第二百零三条";

// ---------------------------------------------------------------- civil dates

export function fromCivil(y, m, d) {
  // Howard Hinnant's days_from_civil.
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function toCivil(z) {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

export function weekday(day) {
  return (((day % 7) + 7 + 3) % 7); // 1970-01-01 was a Thursday (3)
}

export function yearOf(day) {
  return toCivil(day)[0];
}

const pad = (n, w) => String(n).padStart(w, "0");

export function isoDay(day) {
  const [y, m, d] = toCivil(day);
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

export function parseIsoDay(text) {
  // "YYYY-MM-DD" -> day, or null when impossible (2024-02-30).
  const y = Number(text.slice(0, 4));
  const m = Number(text.slice(5, 7));
  const d = Number(text.slice(8, 10));
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > monthLength(y, m)) return null;
  return fromCivil(y, m, d);
}

function isLeap(y) {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

function monthLength(y, m) {
  return [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
}

// values.datetime_text: YYYY-MM-DDTHH:MM, with :SS only when the seconds are not zero.
function momentText(moment) {
  const h = Math.floor(moment.sec / 3600);
  const mi = Math.floor((moment.sec % 3600) / 60);
  const s = moment.sec % 60;
  return `${isoDay(moment.day)}T${pad(h, 2)}:${pad(mi, 2)}` + (s ? `:${pad(s, 2)}` : "");
}

const isMoment = (value) => typeof value === "object";
const asDay = (value) => (isMoment(value) ? value.day : value);
const toJson = (value) => (isMoment(value) ? momentText(value) : isoDay(value));

// ---------------------------------------------------------------- the calendar

function yearDays(grouped) {
  const days = new Set();
  for (const [year, words] of Object.entries(grouped)) {
    for (const word of words.split(" ")) {
      days.add(fromCivil(Number(year), Number(word.slice(0, 2)), Number(word.slice(2, 4))));
    }
  }
  return days;
}

class CalendarNotCovered extends Error {}

function yearRanges(years) {
  const runs = [];
  for (const year of [...years].sort((a, b) => a - b)) {
    if (runs.length && runs[runs.length - 1][runs[runs.length - 1].length - 1] === year - 1) {
      runs[runs.length - 1].push(year);
    } else {
      runs.push([year]);
    }
  }
  return runs.map((r) => (r.length > 1 ? `${r[0]}-${r[r.length - 1]}` : String(r[0]))).join(", ");
}

export class WorkdayCalendar {
  constructor(data) {
    this.bundled = data.bundled;
    this.firstYear = data.first_year;
    this.lastYear = data.last_year;
    this.gapYears = new Set(data.gap_years);
    this.provisionalYears = new Set(data.provisional_years);
    this.daysOff = yearDays(data.days_off);
    this.extraWorkdays = yearDays(data.extra_workdays);
    this.statutoryOff = yearDays(data.statutory_off);
    this.clusters = data.clusters.map((c) => ({
      year: c.year,
      names: c.names,
      days: new Set(c.days.map(parseIsoDay)),
      first: parseIsoDay(c.first),
      last: parseIsoDay(c.last),
      minExtraOff: c.min_extra_off,
      maxExtraOff: c.max_extra_off,
      maxExtraWork: c.max_extra_work,
    }));
    // calendar_from_schedules: the days a cluster's coming notice may still adjust.
    this.unsettled = new Map();
    this.clusters.forEach((cluster, index) => {
      for (let day = cluster.first; day <= cluster.last; day += 1) {
        if (!cluster.days.has(day) && !this.daysOff.has(day) && !this.extraWorkdays.has(day)) {
          if (!this.unsettled.has(day)) this.unsettled.set(day, index);
        }
      }
    });
  }

  official(day) {
    const year = yearOf(day);
    return this.firstYear <= year && year <= this.lastYear && !this.gapYears.has(year);
  }

  covers(day) {
    return this.official(day) || this.provisionalYears.has(yearOf(day));
  }

  coverageText() {
    let text = `${this.firstYear}-${this.lastYear}`;
    const gaps = [...this.gapYears].filter((y) => !this.provisionalYears.has(y)).sort((a, b) => a - b);
    if (gaps.length) text += " except " + gaps.join(", ");
    if (this.provisionalYears.size) {
      text += ` (${yearRanges(this.provisionalYears)}: statutory holidays only)`;
    }
    return text;
  }

  notCovered(day) {
    const year = yearOf(day);
    const where =
      this.gapYears.has(year) && !this.covers(day)
        ? `falls in ${year}, a gap in the working-day calendar`
        : "is outside the working-day calendar";
    return new CalendarNotCovered(
      `${isoDay(day)} ${where}, which covers ${this.coverageText()}; ` +
        `add ${year}'s State Council holiday schedule as a JSON file shaped like ` +
        `${this.bundled} with --calendar FILE (load_calendar(extra_files=[...]))`,
    );
  }

  // true: a working day; false: a day off; null: a day an unpublished schedule may adjust.
  settled(day) {
    if (!this.covers(day)) throw this.notCovered(day);
    if (this.extraWorkdays.has(day)) return true;
    if (this.daysOff.has(day) || this.statutoryOff.has(day)) return false;
    if (this.unsettled.has(day)) return null;
    return weekday(day) < SATURDAY;
  }

  // What the site draws: "work", "weekend", "holiday" (a weekday off), "adjusted" (调休上班),
  // "unsettled" (may still change), or "uncovered".
  kind(day) {
    if (!this.covers(day)) return "uncovered";
    if (this.extraWorkdays.has(day)) return "adjusted";
    if (this.daysOff.has(day) || this.statutoryOff.has(day)) {
      return weekday(day) < SATURDAY ? "holiday" : "weekend";
    }
    if (this.unsettled.has(day)) return "unsettled";
    return weekday(day) < SATURDAY ? "work" : "weekend";
  }

  unsettledWeekdays(index) {
    const cluster = this.clusters[index];
    let count = 0;
    for (let day = cluster.first; day <= cluster.last; day += 1) {
      if (this.unsettled.get(day) === index && weekday(day) < SATURDAY) count += 1;
    }
    return count;
  }
}

export const calendar = new WorkdayCalendar(CALENDAR);

// ---------------------------------------------------------------- counting

// Python's dates end at 9999-12-31: a count that steps past it raises OverflowError there,
// which policy.Limit.reckon says as "... is after 9999-12-31: no due date".
const LAST_DAY = fromCivil(9999, 12, 31);

class PastLastDay extends Error {}

function checked(day) {
  if (day > LAST_DAY) throw new PastLastDay();
  return day;
}

// str() of a Python date or datetime, as the message above quotes the start.
function pythonText(start) {
  if (!isMoment(start)) return isoDay(start);
  const h = Math.floor(start.sec / 3600);
  const mi = Math.floor((start.sec % 3600) / 60);
  return `${isoDay(start.day)} ${pad(h, 2)}:${pad(mi, 2)}:${pad(start.sec % 60, 2)}`;
}

function bounds(due, earliest, latest, unpublished) {
  return { due, earliest, latest, unpublished };
}

// timelimits._workday_bounds: working days after `start`, three ways at once.
function workdayBounds(start, amount, cal) {
  if (amount === 0) return bounds(start, start, start, []);
  const clusters = cal.clusters;
  const weekdaysTotal = new Map();
  const weekdaysIn = new Map();
  const weekendsIn = new Map();
  const unpublished = new Set();
  let base = 0;
  let due = null;
  let earliest = null;
  let day = start;
  for (;;) {
    day = checked(day + 1);
    const settled = cal.settled(day);
    const year = yearOf(day);
    if (cal.provisionalYears.has(year)) unpublished.add(year);
    if (settled === null) {
      const index = cal.unsettled.get(day);
      unpublished.add(clusters[index].year);
      if (!weekdaysTotal.has(index)) {
        weekdaysTotal.set(index, cal.unsettledWeekdays(index));
        weekdaysIn.set(index, 0);
        weekendsIn.set(index, 0);
      }
      if (weekday(day) < SATURDAY) {
        base += 1;
        weekdaysIn.set(index, weekdaysIn.get(index) + 1);
      } else {
        weekendsIn.set(index, weekendsIn.get(index) + 1);
      }
    } else if (settled) {
      base += 1;
    }
    let fewest = base;
    for (const [i, inside] of weekdaysIn) fewest -= Math.min(clusters[i].maxExtraOff, inside);
    let most = base;
    for (const [i, inside] of weekendsIn) most += Math.min(clusters[i].maxExtraWork, inside);
    for (const [i, inside] of weekdaysIn) {
      most -= Math.max(0, clusters[i].minExtraOff - (weekdaysTotal.get(i) - inside));
    }
    if (due === null && base >= amount) due = day;
    if (earliest === null && most >= amount) earliest = day;
    if (fewest >= amount) {
      const years = [...unpublished].sort((a, b) => a - b);
      return bounds(Math.max(due, earliest), earliest, day, years);
    }
  }
}

function addMonths(day, months) {
  const [y, m, d] = toCivil(day);
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  if (year > 9999) throw new PastLastDay();
  return fromCivil(year, month, Math.min(d, monthLength(year, month)));
}

// timelimits.due_bounds without excluded periods (due_json passes none).
function dueBounds(start, amount, unit, cal) {
  if (unit === "workdays") return workdayBounds(asDay(start), amount, cal);
  let due;
  const day = asDay(start);
  if (unit === "months") due = addMonths(day, amount);
  else if (unit === "years") due = addMonths(day, 12 * amount);
  else if (unit === "days") due = checked(day + amount);
  else throw new Error(`unknown time-limit unit ${unit}`);
  return bounds(due, due, due, []);
}

function rollOverBounds(lastDay, cal) {
  return workdayBounds(lastDay - 1, 1, cal);
}

function addHours(moment, hours) {
  const total = moment.sec + hours * 3600;
  return { day: checked(moment.day + Math.floor(total / 86400)), sec: total % 86400 };
}

const final = (b) => b.unpublished.length === 0;

// policy.Limit.duration / rolls_over
function duration(limit, extended) {
  if (extended && limit.extension) return [limit.extension.count, limit.extension.unit];
  return [limit.count, limit.unit];
}

function rollsOver(limit, extended) {
  const [amount, unit] = duration(limit, extended);
  return limit.no_rollover === null && ROLLOVER_UNITS.includes(unit) && amount > 0;
}

const same = (a, b) => (isMoment(a) ? a.day === b.day && a.sec === b.sec : a === b);

// policy.Limit.reckon: {day, counted, bounds (null: final), rollsOver}.
export function reckon(limit, start, cal = calendar, extended = false) {
  try {
    return reckonWithin(limit, start, cal, extended);
  } catch (error) {
    if (!(error instanceof PastLastDay)) throw error;
    const [amount, unit] = duration(limit, extended);
    throw new Error(`${amount} ${unit} from ${pythonText(start)} is after 9999-12-31: no due date`);
  }
}

function reckonWithin(limit, start, cal, extended) {
  const [amount, unit] = duration(limit, extended);
  if (unit === "hours") {
    if (!isMoment(start)) throw new Error("an hours time limit needs a datetime start");
    const moment = addHours(start, amount);
    return { day: moment, counted: moment, bounds: null, rollsOver: false };
  }
  const counted = dueBounds(start, amount, unit, cal);
  if (!rollsOver(limit, extended)) {
    return { day: counted.due, counted: counted.due, bounds: final(counted) ? null : counted, rollsOver: false };
  }
  const rolled = rollOverBounds(counted.due, cal);
  return { day: rolled.due, counted: counted.due, bounds: final(rolled) ? null : rolled, rollsOver: true };
}

function reason(b) {
  if (final(b)) return "";
  return (
    `provisional: ${b.unpublished.join(", ")} holiday schedule not yet published, counted ` +
    `with the statutory holidays only (${isoDay(b.due)}); its adjusted days (调休, 补假) can ` +
    `put the due date anywhere from ${isoDay(b.earliest)} to ${isoDay(b.latest)}; add the ` +
    "schedule with --calendar FILE to make it final"
  );
}

// policy.Due.explanation
function explanation(r) {
  const moved = !same(r.day, r.counted);
  if (moved) {
    const where = r.bounds === null ? "on the official calendar" : "by the statutory holidays";
    return (
      `moved from ${toJson(r.counted)}, a 法定休假日 ${where}, ` +
      `to the next working day per ${ROLLOVER_LAW}`
    );
  }
  if (r.bounds !== null && r.rollsOver && r.bounds.latest !== r.counted) {
    return (
      `${toJson(r.counted)} is a working day by the statutory holidays; if ` +
      "the schedule makes it a 法定休假日, the due date moves to the next working " +
      `day per ${ROLLOVER_LAW}`
    );
  }
  return "";
}

// cli._put_due
function putDue(entry, r) {
  entry.due = toJson(r.day);
  if (!same(r.day, r.counted)) entry.counted = toJson(r.counted);
  if (r.bounds !== null) {
    entry.provisional = {
      earliest: isoDay(r.bounds.earliest),
      latest: isoDay(r.bounds.latest),
      unpublished: [...r.bounds.unpublished],
      reason: reason(r.bounds),
    };
  }
  const text = explanation(r);
  return text ? [text] : [];
}

// ---------------------------------------------------------------- the command

// Bad input, with the message policyc prints; `code` says which kind ("start", "clause",
// "calendar"), so that a page can say it in Chinese.
export class InputError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

// cli.normalize_clause: citations compare without spaces, with full-width brackets, without 、.
export function normalizeClause(text) {
  return text
    .replaceAll("(", "（")
    .replaceAll(")", "）")
    .replace(/[、 \u3000]/g, "");
}

export function limitsOfClause(module, clause) {
  const wanted = normalizeClause(clause);
  return module.limits.filter((limit) => normalizeClause(limit.clause) === wanted);
}

// The clauses of a module that state time limits, in document order.
export function clausesOf(module) {
  return [...new Set(module.limits.map((limit) => limit.clause))];
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const LOCAL_DATETIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(Z|[+-]\d{2}:?\d{2})?$/;
const CHINA_OFFSETS = ["+08:00", "+0800"];

// values.cut: a message shows at most SHOWN_MAX characters (code points, as Python counts
// them) of a value it refuses, and its length (logic.js has the same function; this module
// stands alone, and tests/test_js_messages.py holds both to Python's).
const SHOWN_MAX = 80;

function cut(text) {
  const chars = Array.from(text);
  if (chars.length <= SHOWN_MAX) return text;
  const length = String(chars.length).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${chars.slice(0, SHOWN_MAX).join("")}… (${length} characters)`;
}

// cli.parse_start (values.parse_datetime): a day, or a moment; InputError otherwise.
export function parseStart(text) {
  const expected = new InputError(
    `--start ${cut(String(text))}: expected a date YYYY-MM-DD or a date-time YYYY-MM-DDTHH:MM`,
    "start",
  );
  if (typeof text !== "string" || text.length > 25) throw expected;
  if (ISO_DATE.test(text)) {
    const day = parseIsoDay(text);
    if (day === null) throw expected;
    return day;
  }
  const match = LOCAL_DATETIME.exec(text);
  if (match === null) throw expected;
  const [, dayText, clock, offset] = match;
  if (offset !== undefined && !CHINA_OFFSETS.includes(offset)) {
    throw new InputError(
      `--start '${text}' has the time zone ${offset}; times are China Standard Time (+08:00): ` +
        "give the local time, without an offset or with +08:00",
      "start",
    );
  }
  const day = parseIsoDay(dayText);
  const [h, mi, s] = clock.split(":").map(Number);
  if (day === null || h > 23 || mi > 59 || (s ?? 0) > 59) throw expected;
  return { day, sec: h * 3600 + mi * 60 + (s ?? 0) };
}

// cli.due_json for one limit.
function dueEntry(limit, start, cal) {
  const entry = {
    limit: limit.name,
    clause: limit.clause,
    label: limit.label,
    count: limit.count,
    unit: limit.unit,
    from: limit.from,
    until: limit.until,
    excluding: limit.excluding,
  };
  const notes = [];
  if (limit.unit === "hours" && !isMoment(start)) {
    entry.due = null;
    notes.push(
      `${limit.count} hours from the moment of ${limit.from || "the start"}: ` +
        "give --start with its time of day, YYYY-MM-DDTHH:MM",
    );
  } else {
    notes.push(...putDue(entry, reckon(limit, start, cal)));
  }
  if (limit.no_rollover !== null) entry.no_rollover = limit.no_rollover;
  if (limit.excluding !== null) {
    notes.unshift(`later by the working days of ${limit.excluding_label}, which do not count`);
  }
  if (limit.extension) {
    const longer = { count: limit.extension.count, unit: limit.extension.unit };
    if (limit.extension.unit === "hours" && !isMoment(start)) {
      longer.due = null;
    } else {
      const longerNotes = putDue(longer, reckon(limit, start, cal, true));
      if (longerNotes.length) longer.note = longerNotes.join("; ");
    }
    entry.extended = longer;
  }
  if (notes.length) entry.note = notes.join("; ");
  return entry;
}

/**
 * The due dates of every time limit `clause` states, counted from `start` (the start day not
 * counted): exactly the JSON of `policyc due ID CLAUSE --start START --json`.  `start` is
 * "YYYY-MM-DD", or "YYYY-MM-DDTHH:MM" for limits in hours.  Throws InputError (the message
 * policyc prints) for a bad start, a clause without limits or a date off the calendar.
 */
export function dueDates(module, clause, start, cal = calendar) {
  const moment = parseStart(start);
  const limits = limitsOfClause(module, clause);
  if (!limits.length) {
    throw new InputError(
      `${module.policy} ${clause} has no time limit; clauses with limits: ` +
        [...new Set(module.limits.map((l) => l.clause))].sort().join(", "),
      "clause",
    );
  }
  let entries;
  try {
    entries = limits.map((limit) => dueEntry(limit, moment, cal));
  } catch (error) {
    if (error instanceof CalendarNotCovered) throw new InputError(error.message, "calendar");
    throw error;
  }
  return {
    policy: module.policy,
    start: toJson(moment),
    limits: entries,
    calendar: [cal.firstYear, cal.lastYear],
  };
}
