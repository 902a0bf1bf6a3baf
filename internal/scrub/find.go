package scrub

// The built-in kinds: one pass over the bytes, in which only a few bytes start a closer look.

// class sorts bytes for the scan: the bytes of words (letters, digits, '_'), which are looked
// at only where a word starts and skipped after that, and the few others that may start a
// value ('@' an email, found around it; '+' and '(' a phone number).
var class [256]byte

// inValue are the ASCII characters that can be part of a built-in value.
var inValue = func() (t [128]bool) {
	for c := 0; c < 128; c++ {
		t[c] = isAlnum(byte(c))
	}
	for _, c := range "@.-_+%() ~/=" {
		t[c] = true
	}
	return t
}()

// tokenStart are the first letters of what token and bearer look for.
var tokenStart = [256]bool{'B': true, 'b': true, 'e': true, 's': true, 'r': true, 'g': true, 'x': true, 'A': true}

const (
	other = iota
	word
	special
)

func init() {
	for c := 0; c < 256; c++ {
		if isWord(byte(c)) {
			class[c] = word
		}
	}
	class['@'], class['+'], class['('], class['\\'] = special, special, special, special
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'z' || isUpper(c) }

// isWord is a byte that continues a word: a value must not start or end next to one, so a
// digit run inside an id or a hash is never taken for a number.
func isWord(c byte) bool { return isAlnum(c) || c == '_' }

// isB64URL is base64url's alphabet, of JWTs and most API keys.
func isB64URL(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }

func isB64(c byte) bool { return isAlnum(c) || c == '+' || c == '/' || c == '=' }

// wordBefore and wordAt count a Mask as a word character, as what it replaced was: scrubbing
// must not make a boundary where there was none, or scrubbing twice would find more.
func wordBefore(b []byte, i int) bool {
	if i == 0 {
		return false
	}
	if p := b[i-1]; p < 0x80 {
		return class[p] == word
	}
	return i >= 3 && string(b[i-3:i]) == string(Mask)
}

func wordAt(b []byte, i int) bool {
	return i < len(b) && (isWord(b[i]) || len(b)-i >= 3 && string(b[i:i+3]) == string(Mask))
}

// builtin appends the spans of the built-in kinds found in b.
func (s *Scrubber) builtin(b []byte, spans []span) []span { return s.scan(b, spans, false) }

// maybe reports whether a JSON text may hold a built-in value in one of its strings: scan over
// the raw text, where an escape (\n, \") separates words as what it stands for does, and an
// escaped printable ASCII character (\u0040), which JSON writers do not produce, counts as a
// find. It errs on the side of yes (a value in a key or a number counts too), never of no: a
// text for which it says no comes back from JSON unchanged without being walked.
func (s *Scrubber) maybe(in []byte) bool { return len(s.scan(in, nil, true)) > 0 }

// scan is builtin, or with raw maybe's scan over JSON text, which stops at the first find.
// Each word is looked at once, where it starts (its first byte says whether it may be a number,
// a key or an IBAN), and then skipped; only '@', '+' and '(' are looked at elsewhere.
func (s *Scrubber) scan(b []byte, spans []span, raw bool) []span {
	last := 0   // where the last span ended: an email's local part does not reach before it
	after := -1 // in raw text, where an escape ended: a word starts there whatever precedes it
	for i := 0; i < len(b); {
		c := b[i]
		switch class[c] {
		case other:
			i++
			continue
		case special:
			end, kind, start := 0, "", i
			switch {
			case c == '\\':
				if raw {
					// What browsers escape (quote, backslash, control characters, lone
					// surrogates) separates words wherever it stands; an escape of a character
					// that can be part of a value is a find, the walk decides.
					i++
					if i < len(b) && b[i] == '/' {
						return append(spans, span{i - 1, i + 1, ""})
					}
					if i < len(b) && b[i] == 'u' {
						if r, ok := hex4(b, i+1); ok {
							if r < 0x80 && inValue[r] {
								return append(spans, span{i - 1, i + 5, ""})
							}
							i += 4
						}
					}
					i++
					after = i
					continue
				}
			case c == '@':
				if s.email {
					start, end = email(b, i, last)
					kind = Email
				}
			case i == after || !wordBefore(b, i):
				var next int
				start, end, kind, next = s.number(b, i)
				if end == 0 {
					i = max(next, i+1)
					continue
				}
			}
			if end == 0 {
				i++
				continue
			}
			spans = append(spans, span{start, end, kind})
			if raw {
				return spans
			}
			i, last = end, end
			continue
		}
		// The start of a word, unless it follows a mask (scrubbed text counts as a word).
		end, kind, start := 0, "", i
		if i == after || !wordBefore(b, i) {
			switch {
			case isDigit(c):
				var next int
				start, end, kind, next = s.number(b, i)
				if end == 0 {
					i = max(next, i+1)
					continue
				}
			case c == 'b' && hasPrefix(b[i:], "base64,"):
				// The payload of a data: URI (an inlined font or image): never scrubbed, as one
				// changed byte breaks it, and skipped whole so nothing inside it is looked at.
				j := i + len("base64,")
				for j < len(b) && isB64(b[j]) {
					j++
				}
				i = j
				continue
			default:
				if s.token && tokenStart[c] {
					if c == 'B' || c == 'b' {
						start, end = bearer(b, i)
					}
					if end == 0 {
						start, end = i, token(b, i)
					}
					kind = Token
				}
				if end == 0 && s.iban && isUpper(c) {
					start, end, kind = i, iban(b, i), IBAN
				}
			}
		}
		if end == 0 {
			for i++; i < len(b) && class[b[i]] == word; {
				i++
			}
			continue
		}
		spans = append(spans, span{start, end, kind})
		if raw {
			return spans
		}
		i, last = end, end
	}
	return spans
}

func hasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }

// email finds local@domain.tld around the '@' at i: an ASCII local part (letters, digits and
// ._%+-), a domain of labels with at least one dot, and a top-level domain of two or more
// letters. It returns the span, end 0 when there is none.
func email(b []byte, at, floor int) (int, int) {
	start := at
	for start > floor && (isAlnum(b[start-1]) || isLocal(b[start-1])) {
		start--
	}
	for start < at && b[start] == '.' {
		start++
	}
	if start == at {
		return 0, 0
	}
	end, dot, labelStart := at+1, -1, at+1
	for end < len(b) && (isAlnum(b[end]) || b[end] == '-' || b[end] == '.' && end > labelStart && end+1 < len(b) && isAlnum(b[end+1])) {
		if b[end] == '.' {
			dot, labelStart = end, end+1
		}
		end++
	}
	if dot < 0 || end-dot-1 < 2 {
		return 0, 0
	}
	for k := dot + 1; k < end; k++ {
		if isDigit(b[k]) || b[k] == '-' {
			return 0, 0 // a top-level domain is letters
		}
	}
	return start, end
}

func isLocal(c byte) bool { return c == '.' || c == '_' || c == '%' || c == '+' || c == '-' }

// bearer finds "Bearer <token>" (any case) at i and returns the token's span: what follows one
// or more spaces, at least 8 characters of base64, base64url or a JWT's dots.
func bearer(b []byte, i int) (int, int) {
	const word = "bearer"
	if len(b)-i < len(word)+9 {
		return 0, 0
	}
	for k := 0; k < len(word); k++ {
		if b[i+k]|0x20 != word[k] {
			return 0, 0
		}
	}
	j := i + len(word)
	if b[j] != ' ' {
		return 0, 0
	}
	for j < len(b) && b[j] == ' ' {
		j++
	}
	start := j
	for j < len(b) && (isB64URL(b[j]) || b[j] == '.' || b[j] == '~' || b[j] == '+' || b[j] == '/' || b[j] == '=') {
		j++
	}
	if j-start < 8 {
		return 0, 0
	}
	return start, j
}

// token finds a JWT or a known API key shape starting at i (after a word boundary) and
// returns its end, 0 when there is none.
func token(b []byte, i int) int {
	r := b[i:]
	switch r[0] {
	case 'e':
		return jwt(b, i)
	case 's', 'r':
		for _, p := range [...]string{"sk_live_", "sk_test_", "rk_live_", "rk_test_"} {
			if hasPrefix(r, p) {
				return run(b, i+len(p), 10, isAlnum)
			}
		}
		if hasPrefix(r, "reel_") {
			// Reel's API tokens: reel_<16 hex>_<secret>.
			j := i + len("reel_")
			k := j
			for k < len(b) && (isDigit(b[k]) || b[k] >= 'a' && b[k] <= 'f') {
				k++
			}
			if k-j != 16 || k >= len(b) || b[k] != '_' {
				return 0
			}
			return run(b, k+1, 20, isB64URL)
		}
	case 'g':
		if hasPrefix(r, "github_pat_") {
			return run(b, i+len("github_pat_"), 20, isWord)
		}
		if hasPrefix(r, "glpat-") {
			return run(b, i+len("glpat-"), 20, isB64URL)
		}
		if len(r) > 4 && r[1] == 'h' && r[3] == '_' && (r[2] == 'p' || r[2] == 'o' || r[2] == 'u' || r[2] == 's' || r[2] == 'r') {
			return run(b, i+4, 30, isAlnum)
		}
	case 'x':
		if len(r) > 5 && hasPrefix(r, "xox") && r[4] == '-' && (r[3] == 'a' || r[3] == 'b' || r[3] == 'p' || r[3] == 'r' || r[3] == 's') {
			return run(b, i+5, 10, func(c byte) bool { return isAlnum(c) || c == '-' })
		}
	case 'A':
		if hasPrefix(r, "AKIA") || hasPrefix(r, "ASIA") {
			return exact(b, i+4, 16, func(c byte) bool { return isUpper(c) || isDigit(c) })
		}
		if hasPrefix(r, "AIza") {
			return exact(b, i+4, 35, isB64URL)
		}
	}
	return 0
}

// run returns the end of at least min bytes that ok accepts from i, then not followed by a word
// byte; 0 when there are fewer.
func run(b []byte, i, least int, ok func(byte) bool) int {
	j := i
	for j < len(b) && ok(b[j]) {
		j++
	}
	if j-i < least || wordAt(b, j) {
		return 0
	}
	return j
}

// exact is run for exactly n bytes.
func exact(b []byte, i, n int, ok func(byte) bool) int {
	j := i
	for j < len(b) && j-i < n && ok(b[j]) {
		j++
	}
	if j-i != n || j < len(b) && (isB64URL(b[j])) {
		return 0
	}
	return j
}

// jwt finds a JSON Web Token at i: three base64url segments joined by dots, the first two JSON
// objects ("eyJ" is how base64url of `{"` begins), the signature possibly empty.
func jwt(b []byte, i int) int {
	// The caller starts words only after a boundary; a JWT is not one after '-' or '.' either.
	if !hasPrefix(b[i:], "eyJ") || i > 0 && (b[i-1] == '-' || b[i-1] == '.') {
		return 0
	}
	j := i
	for seg := 0; seg < 3; seg++ {
		k := j
		for k < len(b) && isB64URL(b[k]) {
			k++
		}
		if seg < 2 && (k-j < 10 || k >= len(b) || b[k] != '.') {
			return 0
		}
		if seg == 1 && !hasPrefix(b[j:], "eyJ") {
			return 0
		}
		j = k
		if seg < 2 {
			j++ // the dot
		}
	}
	if j < len(b) && b[j] == '.' {
		return 0
	}
	return j
}

// number reads the grouped number at i (digits in groups joined by single spaces, dashes or
// dots; for phones also a leading '+' and parentheses) and decides whether it is a card or a
// phone number. It returns the span and kind found (end 0 when none) and where the scan may go
// on: after the whole number, so a digit in its middle never starts another.
func (s *Scrubber) number(b []byte, i int) (start, end int, kind string, next int) {
	// Most numbers in a page are short and stand alone ("12px", "2024", "0.5", "100%"): a run of
	// fewer than 13 digits not followed by a separator is neither a card nor a phone number.
	if isDigit(b[i]) {
		k := i + 1
		for k < len(b) && isDigit(b[k]) {
			k++
		}
		n := k - i
		if k == len(b) || n < 13 && b[k] != ' ' && b[k] != '-' && b[k] != '.' || b[k] == '.' && n != 1 && n != 3 {
			if n < 13 || n > 19 || wordAt(b, k) {
				for k < len(b) && isWord(b[k]) {
					k++
				}
				return 0, 0, "", k
			}
		}
	}
	var g groups
	g.read(b, i)
	next = g.end
	if g.end == i {
		return 0, 0, "", i + 1
	}
	if s.email && !g.beforeEmail(b, i) {
		// The whole number is an email's local part ("5551234567@example.com"): the email is
		// the find, at its '@'.
		return 0, 0, "", next
	}
	if wordAt(b, g.end) {
		// The number runs into a word (a UUID, a hex hash, "12px"): skip the word.
		for next < len(b) && isWord(b[next]) {
			next++
		}
		return 0, 0, "", next
	}
	if s.card && !g.plus && !g.parens {
		if st, en, ok := g.card(b); ok {
			return st, en, Card, next
		}
	}
	if s.phone && g.phone(b) {
		return i, g.end, Phone, next
	}
	return 0, 0, "", next
}

const maxGroups = 8

// groups is a grouped number as read: each group's digits [start, end) and the separator
// before it.
type groups struct {
	n           int
	start, stop [maxGroups]int
	sep         [maxGroups]byte
	digits      int
	plus        bool // starts with '+'
	parens      bool // has a group in parentheses
	end         int
}

func (g *groups) read(b []byte, i int) {
	j := i
	if b[j] == '+' {
		if j+1 >= len(b) || !isDigit(b[j+1]) || j > 0 && (b[j-1] == '+' || b[j-1] == '/' || b[j-1] == '=') {
			g.end = i
			return
		}
		g.plus = true
		j++
	}
	var sep byte
	for g.n < maxGroups {
		paren := false
		if j < len(b) && b[j] == '(' {
			paren = true
			j++
		}
		k := j
		for k < len(b) && isDigit(b[k]) && k-j < 20 {
			k++
		}
		if k == j || paren && (k >= len(b) || b[k] != ')') {
			if g.n == 0 {
				g.end = i
				return
			}
			break
		}
		g.start[g.n], g.stop[g.n], g.sep[g.n] = j, k, sep
		g.n++
		g.digits += k - j
		if paren {
			g.parens = true
			k++ // ')'
		}
		g.end = k
		j = k
		if paren && j < len(b) && isDigit(b[j]) {
			sep = ')'
			continue
		}
		if j+1 < len(b) && (b[j] == ' ' || b[j] == '-' || b[j] == '.') && (isDigit(b[j+1]) || b[j+1] == '(' && !g.parens) {
			sep = b[j]
			j++
			continue
		}
		break
	}
}

// beforeEmail drops the groups at the end that belong to an email's local part (the 0 of
// "020 7946 0958 0@example.com"), so that the number is judged as it will read once the email is
// masked and scrubbing twice finds nothing more. It reports whether any group is left.
func (g *groups) beforeEmail(b []byte, i int) bool {
	at := g.end
	for at < len(b) && (isAlnum(b[at]) || isLocal(b[at])) {
		at++
	}
	if at == len(b) || b[at] != '@' {
		return true
	}
	start, end := email(b, at, 0)
	if end == 0 || start >= g.end {
		return true
	}
	n := 0
	for n < g.n && g.stop[n] < start {
		n++
	}
	if n == 0 {
		return false
	}
	g.n, g.digits, g.parens, g.end = n, 0, false, g.stop[n-1]
	for k := 0; k < n; k++ {
		g.digits += g.stop[k] - g.start[k]
		if g.start[k] > 0 && b[g.start[k]-1] == '(' {
			g.parens = true
		}
	}
	if g.end < len(b) && b[g.end] == ')' && g.start[n-1] > 0 && b[g.start[n-1]-1] == '(' {
		g.end++
	}
	return true
}

// card finds a card number among consecutive groups with one separator (all of them first, then
// shorter windows, so "Order 12 4111 1111 1111 1111" still finds the card): 13 to 19 digits,
// an issuer's prefix and length, Luhn-valid.
func (g *groups) card(b []byte) (int, int, bool) {
	for width := g.n; width >= 1; width-- {
		for a := 0; a+width <= g.n; a++ {
			z := a + width - 1
			digits := 0
			ok := true
			for k := a; k <= z; k++ {
				n := g.stop[k] - g.start[k]
				digits += n
				if k > a && (g.sep[k] != g.sep[a+1] || g.sep[k] == '.' || g.sep[k] == ')') {
					ok = false
				}
				if width > 1 && (n < 3 || n > 8) {
					ok = false
				}
			}
			if !ok || digits < 13 || digits > 19 {
				continue
			}
			var d [19]byte
			m := 0
			for k := a; k <= z; k++ {
				m += copy(d[m:], b[g.start[k]:g.stop[k]])
			}
			if issuer(d[:m]) && luhn(d[:m]) {
				return g.start[a], g.stop[z], true
			}
		}
	}
	return 0, 0, false
}

// issuer reports whether d starts with a card network's prefix and has one of its lengths.
func issuer(d []byte) bool {
	n := len(d)
	p2 := int(d[0]-'0')*10 + int(d[1]-'0')
	p3 := p2*10 + int(d[2]-'0')
	p4 := p3*10 + int(d[3]-'0')
	switch {
	case d[0] == '4': // Visa
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return n == 16
	case p2 == 34 || p2 == 37: // American Express
		return n == 15
	case p4 == 6011 || p2 == 65 || p3 >= 644 && p3 <= 649: // Discover
		return n >= 16 && n <= 19
	case p4 >= 3528 && p4 <= 3589: // JCB
		return n >= 16 && n <= 19
	case p3 >= 300 && p3 <= 305, p2 == 36, p2 == 38, p2 == 39: // Diners Club
		return n >= 14 && n <= 19
	case p2 == 62: // UnionPay
		return n >= 16 && n <= 19
	}
	return false
}

func luhn(d []byte) bool {
	sum := 0
	double := false
	for k := len(d) - 1; k >= 0; k-- {
		v := int(d[k] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// phone reports whether the number is written as a phone number: with '+' and a country code
// (8 to 15 digits), with an area code in parentheses ((555) 123-4567), or in the shapes
// 555-123-4567, 1-555-123-4567 and a trunk-prefixed 020 7946 0958 (one separator throughout).
// A bare run of digits is never one: ids, timestamps and prices are written that way.
func (g *groups) phone(b []byte) bool {
	switch {
	case g.plus:
		return g.digits >= 8 && g.digits <= 15 && b[g.start[0]] != '0'
	case g.parens:
		return g.digits >= 10 && g.digits <= 11 && g.n >= 3
	case g.n < 3 && !(g.n == 2 && b[g.start[0]] == '0'):
		return false
	}
	sep := g.sep[1]
	for k := 2; k < g.n; k++ {
		if g.sep[k] != sep {
			return false
		}
	}
	lens := func(want ...int) bool {
		if g.n != len(want) {
			return false
		}
		for k, w := range want {
			if g.stop[k]-g.start[k] != w {
				return false
			}
		}
		return true
	}
	switch {
	case lens(3, 3, 4):
		return b[g.start[0]] != '0' && b[g.start[0]] != '1'
	case lens(1, 3, 3, 4):
		return b[g.start[0]] == '1'
	case b[g.start[0]] == '0' && (sep == ' ' || sep == '-') && g.digits >= 10 && g.digits <= 11:
		for k := 0; k < g.n; k++ {
			if g.stop[k]-g.start[k] < 2 {
				return false
			}
		}
		return true
	}
	return false
}

// ibanLength is each country's IBAN length (ISO 13616 registry).
var ibanLength = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
	"BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
	"EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
	"GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
	"IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
	"LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
	"NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
	"SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
	"TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}

// iban finds an IBAN at i: a country code, two check digits and the country's length of
// uppercase letters and digits, written solid or in groups of four joined by single spaces,
// valid by mod 97. It returns its end, 0 when there is none.
func iban(b []byte, i int) int {
	if len(b)-i < 15 || !isUpper(b[i+1]) || !isDigit(b[i+2]) || !isDigit(b[i+3]) {
		return 0
	}
	want, ok := ibanLength[string(b[i:i+2])]
	if !ok {
		return 0
	}
	var chars [34]byte
	n, j, group := 0, i, 0
	for n < want && j < len(b) {
		c := b[j]
		switch {
		case isUpper(c) || isDigit(c):
			chars[n] = c
			n++
			group++
			j++
		case c == ' ' && group == 4 && j+1 < len(b) && (isUpper(b[j+1]) || isDigit(b[j+1])):
			group = 0
			j++
		default:
			return 0
		}
	}
	if n != want || wordAt(b, j) {
		return 0
	}
	// Move the first four characters to the end, letters to 10..35, and take the number mod 97.
	rem := 0
	for k := 0; k < n; k++ {
		c := chars[(k+4)%n]
		if isDigit(c) {
			rem = (rem*10 + int(c-'0')) % 97
		} else {
			rem = (rem*100 + int(c-'A'+10)) % 97
		}
	}
	if rem != 1 {
		return 0
	}
	return j
}
