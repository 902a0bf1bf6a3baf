// What leaves the browser unmasked. The default is nothing typed by the user: every input,
// textarea and select is masked, and the whole text of every contenteditable. A site or
// project may opt out of that with maskAllInputs: false, but passwords and other credentials
// stay masked whatever it says, and emails, phone numbers and card data unless it lets each
// kind through (docs/privacy.md).

export const MASK_CLASS = "reel-mask";
export const BLOCK_CLASS = "reel-block";
export const IGNORE_CLASS = "reel-ignore";

/** Kinds of field a project may let through unmasked when not every field is masked. */
export interface SensitiveKinds {
  email: boolean;
  tel: boolean;
  card: boolean;
}

// Credentials are masked whatever the configuration says: passwords (by type, autofill token
// or name), one-time codes and social security numbers.
const SECRET_AUTOCOMPLETE = /\b(current-password|new-password|one-time-code)/i;
const SECRET_NAME = /ssn|passw/i;
// Autofill tokens (HTML spec) and field names that shops use for card data.
const CARD_AUTOCOMPLETE = /\bcc-/i;
const CARD_NAME = /card.?num|cc.?num|cvc|cvv|csc|security.?code|iban/i;

/**
 * Reports whether a field is recorded only masked: passwords and other credentials always,
 * fields inside `.reel-mask` always, and emails, phone numbers and card data unless the
 * project lets that kind through.
 */
export function isSensitive(el: HTMLElement | null, kinds: SensitiveKinds): boolean {
  if (!el) return true;
  const type = ((el as HTMLInputElement).type || "").toLowerCase();
  const auto = el.getAttribute("autocomplete") || "";
  const name = `${el.getAttribute("name") || ""} ${el.id || ""}`;
  if (type === "password" || SECRET_AUTOCOMPLETE.test(auto) || SECRET_NAME.test(name)) return true;
  if (kinds.email && (type === "email" || /\bemail/i.test(auto))) return true;
  if (kinds.tel && (type === "tel" || /\btel/i.test(auto))) return true;
  if (kinds.card && (CARD_AUTOCOMPLETE.test(auto) || CARD_NAME.test(name))) return true;
  return el.closest(`.${MASK_CLASS}`) !== null;
}

const mask = (text: string) => "*".repeat(text.length);

/**
 * Builds rrweb's input masking: rrweb is told to pass every input kind through maskInputFn,
 * and the decision is taken here, per element.
 */
export function inputMasking(maskAllInputs: boolean, kinds: SensitiveKinds) {
  return {
    // rrweb passes every kind listed here through maskInputFn, which decides per element.
    maskInputOptions: Object.fromEntries(
      "color date datetime-local email month number range search tel text time url week textarea select password".split(" ").map((k) => [k, true]),
    ),
    maskInputFn: (text: string, el: HTMLElement | null) => (maskAllInputs || isSensitive(el, kinds) ? mask(text) : text),
  };
}

export const EDITABLE = '[contenteditable]:not([contenteditable="false"])';

/**
 * Text masking for rich-text editors (contenteditable) when only what the visitor types is to
 * be masked (`maskEditable: "typed"`): an editor's text is recorded as the page rendered it
 * until the visitor types into it (a trusted beforeinput: keys, paste, drop, dictation); from
 * then on every text of that editor that is recorded is masked, so what the visitor typed never
 * leaves the browser. Masking is per text node, as rrweb records text. `others` is the
 * selector of what is masked anyway (maskAllText, maskSelector, .reel-mask).
 */
export function typedOnly(others: string) {
  const typed = new WeakSet<Element>();
  const onInput = (e: Event) => {
    const ed = e.isTrusted && (e.target as Element | null)?.closest?.(EDITABLE);
    if (ed) typed.add(ed);
  };
  return {
    onInput,
    maskTextFn: (text: string, el: HTMLElement | null) => {
      const ed = el?.closest(EDITABLE);
      return ed && !typed.has(ed) && !el!.closest(others) ? text : text.replace(/\S/g, "*");
    },
  };
}
