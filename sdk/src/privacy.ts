// What leaves the browser unmasked. The default is nothing typed by the user: every input,
// textarea and select is masked. A site may opt out of that with maskAllInputs: false, but
// fields that hold secrets or personal contact data stay masked whatever it says.

export const MASK_CLASS = "reel-mask";
export const BLOCK_CLASS = "reel-block";
export const IGNORE_CLASS = "reel-ignore";

const SENSITIVE_TYPES = new Set(["password", "email", "tel"]);
// Autofill tokens (HTML spec) for credentials, card data and contact details.
const SENSITIVE_AUTOCOMPLETE = /\b(cc-|current-password|new-password|one-time-code|email|tel)/i;
// Field names that shops use for card data without autocomplete hints.
const SENSITIVE_NAME = /card.?num|cc.?num|cvc|cvv|csc|security.?code|iban|ssn|passw/i;

/** Reports whether a field is never recorded in clear, whatever the configuration says. */
export function isSensitive(el: HTMLElement | null): boolean {
  if (!el) return true;
  const input = el as HTMLInputElement;
  if (SENSITIVE_TYPES.has((input.type || "").toLowerCase())) return true;
  if (SENSITIVE_AUTOCOMPLETE.test(el.getAttribute("autocomplete") || "")) return true;
  if (SENSITIVE_NAME.test(`${el.getAttribute("name") || ""} ${el.id || ""}`)) return true;
  return el.closest(`.${MASK_CLASS}`) !== null;
}

const mask = (text: string) => "*".repeat(text.length);

/**
 * Builds rrweb's input masking: rrweb is told to pass every input kind through maskInputFn,
 * and the decision is taken here, per element.
 */
export function inputMasking(maskAllInputs: boolean) {
  return {
    // rrweb passes every kind listed here through maskInputFn, which decides per element.
    maskInputOptions: Object.fromEntries(
      "color date datetime-local email month number range search tel text time url week textarea select password".split(" ").map((k) => [k, true]),
    ),
    maskInputFn: (text: string, el: HTMLElement | null) => (maskAllInputs || isSensitive(el) ? mask(text) : text),
  };
}
