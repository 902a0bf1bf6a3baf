// The filter bar: chips and dropdowns that write terms of the search language (docs/search.md)
// into the query box, so people see the text a click stands for and learn the language.

/** Splits a query into its top-level terms, keeping quoted values and groups whole. */
export function terms(q: string): string[] {
  const out: string[] = [];
  let cur = "";
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < q.length; i++) {
    const c = q[i];
    if (quoted) {
      cur += c;
      if (c === "\\" && i + 1 < q.length) cur += q[++i];
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === "(") depth++;
    else if (c === ")") depth = Math.max(0, depth - 1);
    if (/\s/.test(c) && depth === 0) {
      if (cur) out.push(cur);
      cur = "";
    } else cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

/** The value of the first top-level, un-negated term of a field ("" when absent). */
export function termValue(q: string, field: string): string {
  const t = terms(q).find((t) => t.startsWith(field + ":"));
  return t ? t.slice(field.length + 1) : "";
}

/** Replaces the top-level terms of a field with field:value, or removes them when value is "". */
export function setTerm(q: string, field: string, value: string): string {
  const ts = terms(q);
  const i = ts.findIndex((t) => t.startsWith(field + ":"));
  const rest = ts.filter((t) => !t.startsWith(field + ":"));
  if (value) rest.splice(i < 0 ? rest.length : i, 0, field + ":" + value);
  return rest.join(" ");
}

/** Adds a whole term, or takes it out when it is there already. */
export function toggleTerm(q: string, term: string): string {
  const ts = terms(q);
  return ts.includes(term) ? ts.filter((t) => t !== term).join(" ") : ts.concat(term).join(" ");
}

/** Quotes a value when the language needs it (spaces, parentheses, quotes). */
export function quote(v: string): string {
  return /[\s()"]/.test(v) ? '"' + v.replace(/[\\"]/g, (c) => "\\" + c) + '"' : v;
}

const CHIPS: [string, string][] = [
  ["With errors", "errors:>0"],
  ["Failed requests", "failed:>0"],
  ["Rage clicks", "rage:>0"],
  ["Identified", "user:*"],
];

type Choice = [label: string, value: string];
const DROPDOWNS: { field: string; label: string; choices: Choice[] }[] = [
  {
    field: "browser",
    label: "Browser",
    choices: [["Chrome", "chrome"], ["Firefox", "firefox"], ["Safari", "safari"], ["Edge", "edge"], ["Samsung Internet", '"samsung internet"']],
  },
  {
    field: "device",
    label: "Device",
    choices: [["Desktop", "desktop"], ["Mobile", "mobile"], ["Tablet", "tablet"]],
  },
  {
    field: "duration",
    label: "Duration",
    choices: [["Under 10s", "<10s"], ["Over 30s", ">30s"], ["Over 2m", ">2m"], ["Over 10m", ">10m"]],
  },
];

/** Dates of the date-range dropdown: the UTC day that many days back, as after: wants it. */
function daysAgo(n: number, now = Date.now()): string {
  return new Date(now - n * 86_400_000).toISOString().slice(0, 10);
}

const RANGES: Choice[] = [["Today", "0"], ["Last 7 days", "7"], ["Last 30 days", "30"], ["Last 90 days", "90"]];

export const SORTS: Choice[] = [
  ["Newest first", "recent"],
  ["Longest first", "longest"],
  ["Most errors first", "errors"],
  ["Most friction first", "friction"],
  ["Most interesting first", "interesting"],
  ["Live first", "live"],
];

/** The Order dropdown: sort: in the query, since that is what a saved search keeps. */
export function SortSelect({ query, apply }: { query: string; apply: (q: string) => void }) {
  const sort = termValue(query, "sort") || "recent";
  return (
    <label class="sort">
      <span class="muted">Order</span>
      <select
        aria-label="Order"
        data-testid="sort"
        value={sort}
        onChange={(e) => {
          const v = e.currentTarget.value;
          apply(setTerm(query, "sort", v === "recent" ? "" : v));
        }}
      >
        {SORTS.map(([label, v]) => (
          <option value={v}>{label}</option>
        ))}
      </select>
    </label>
  );
}

/**
 * The filter bar. countries are the ones present in the project's sessions (GET
 * /api/v1/countries): the Country dropdown lists those, and is left out when there are none (no
 * country source is configured) unless the query already has a country: term.
 */
export function FilterBar({ query, apply, countries = [] }: { query: string; apply: (q: string) => void; countries?: string[] }) {
  const ts = terms(query);
  const dropdowns = DROPDOWNS.slice();
  if (countries.length > 0 || termValue(query, "country"))
    dropdowns.splice(2, 0, { field: "country", label: "Country", choices: countries.map((c) => [c, c] as Choice) });
  const after = termValue(query, "after");
  const range = RANGES.find(([, n]) => daysAgo(Number(n)) === after)?.[1] || (after ? "custom" : "");
  return (
    <div class="filterbar" data-testid="filterbar">
      <div class="chips">
        {CHIPS.map(([label, term]) => (
          <button
            type="button"
            class={"chip" + (ts.includes(term) ? " on" : "")}
            data-testid="chip"
            title={term}
            aria-pressed={ts.includes(term)}
            onClick={() => apply(toggleTerm(query, term))}
          >
            {label}
          </button>
        ))}
      </div>
      {dropdowns.map((d) => {
        const v = termValue(query, d.field);
        const known = d.choices.some(([, c]) => c.toLowerCase() === v.toLowerCase());
        return (
          <select
            class={"pick" + (v ? " on" : "")}
            aria-label={d.label}
            data-testid={"pick-" + d.field}
            value={known ? d.choices.find(([, c]) => c.toLowerCase() === v.toLowerCase())![1] : v ? "custom" : ""}
            onChange={(e) => {
              const c = e.currentTarget.value;
              if (c !== "custom") apply(setTerm(query, d.field, c));
            }}
          >
            <option value="">{d.label}: any</option>
            {d.choices.map(([label, c]) => (
              <option value={c}>{label}</option>
            ))}
            {v && !known && <option value="custom">{d.field}:{v}</option>}
          </select>
        );
      })}
      <select
        class={"pick" + (after ? " on" : "")}
        aria-label="Date range"
        data-testid="pick-after"
        value={range}
        onChange={(e) => {
          const c = e.currentTarget.value;
          if (c !== "custom") apply(setTerm(query, "after", c === "" ? "" : daysAgo(Number(c))));
        }}
      >
        <option value="">Any date</option>
        {RANGES.map(([label, n]) => (
          <option value={n}>{label}</option>
        ))}
        {range === "custom" && <option value="custom">after:{after}</option>}
      </select>
      <form
        class="visited"
        onSubmit={(e) => {
          e.preventDefault();
          const input = e.currentTarget.elements.namedItem("page") as HTMLInputElement;
          const v = input.value.trim();
          if (!v) return;
          apply(ts.concat("visited:" + quote(v.startsWith("/") || v.includes("://") ? v : "/" + v)).join(" "));
          input.value = "";
        }}
      >
        <input name="page" data-testid="pick-visited" aria-label="Visited page" placeholder="Visited page, e.g. /checkout*" maxLength={512} />
      </form>
      {query && (
        <button type="button" class="ghost clear" data-testid="clear-filters" onClick={() => apply("")}>
          Clear
        </button>
      )}
    </div>
  );
}
