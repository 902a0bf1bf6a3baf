package archive

import (
	"net/url"
	"strings"
)

// cssRef is one reference in a stylesheet: url(…) anywhere, or the string of an @import.
type cssRef struct {
	start, end int    // the span to replace: the whole url(…) token, or the quoted string
	url        string // as written (unquoted; CSS escapes are not decoded: such refs are skipped)
	isImport   bool   // the sheet imports it (so it is a stylesheet, with references of its own)
	isString   bool   // an @import "…" string rather than url(…)
}

func isIdent(c byte) bool {
	return c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// scanCSS finds the references in css, outside comments, in order. It is a tokenizer for just
// this purpose, not a CSS parser: image-set("…") strings and escaped URLs are not found.
func scanCSS(css string) []cssRef {
	var out []cssRef
	pendingImport := false
	n := len(css)
	for i := 0; i < n; i++ {
		c := css[i]
		switch {
		case c == '/' && i+1 < n && css[i+1] == '*':
			end := strings.Index(css[i+2:], "*/")
			if end < 0 {
				return out
			}
			i += end + 3
		case c == '"' || c == '\'':
			j := stringEnd(css, i)
			if pendingImport && j > 0 {
				if v := css[i+1 : j-1]; v != "" && !strings.ContainsRune(v, '\\') {
					out = append(out, cssRef{start: i, end: j, url: v, isImport: true, isString: true})
				}
			}
			pendingImport = false
			if j < 0 {
				return out
			}
			i = j - 1
		case c == '@' && i+7 <= n && strings.EqualFold(css[i:i+7], "@import") && (i+7 == n || !isIdent(css[i+7])):
			pendingImport = true
			i += 6
		case (c == 'u' || c == 'U') && i+4 <= n && strings.EqualFold(css[i:i+4], "url(") && (i == 0 || !isIdent(css[i-1])):
			ref, end, ok := urlToken(css, i)
			if ok {
				ref.isImport = pendingImport
				out = append(out, ref)
			}
			pendingImport = false
			if end < 0 {
				return out
			}
			i = end - 1
		case isSpace(c):
		default:
			if isIdent(c) {
				// Skip the whole identifier so "myurl(" is not a url( token.
				for i+1 < n && isIdent(css[i+1]) {
					i++
				}
			}
			pendingImport = false
		}
	}
	return out
}

// stringEnd returns the index after the string starting at css[i], or -1 when unterminated.
func stringEnd(css string, i int) int {
	q := css[i]
	for j := i + 1; j < len(css); j++ {
		switch css[j] {
		case '\\':
			j++
		case q:
			return j + 1
		case '\n':
			return -1
		}
	}
	return -1
}

// urlToken reads url(…) starting at css[i]; end is the index after the closing parenthesis (-1
// when the sheet ends first) and ok is false when it holds nothing usable.
func urlToken(css string, i int) (cssRef, int, bool) {
	j := i + 4
	for j < len(css) && isSpace(css[j]) {
		j++
	}
	if j >= len(css) {
		return cssRef{}, -1, false
	}
	var v string
	if q := css[j]; q == '"' || q == '\'' {
		e := stringEnd(css, j)
		if e < 0 {
			return cssRef{}, -1, false
		}
		v = css[j+1 : e-1]
		j = e
		for j < len(css) && isSpace(css[j]) {
			j++
		}
	} else {
		k := j
		for k < len(css) && css[k] != ')' && !isSpace(css[k]) && css[k] != '"' && css[k] != '\'' && css[k] != '(' {
			k++
		}
		v = css[j:k]
		j = k
		for j < len(css) && isSpace(css[j]) {
			j++
		}
	}
	if j >= len(css) {
		return cssRef{}, -1, false
	}
	if css[j] != ')' {
		// Not a well-formed url(): skip past it without taking it.
		end := strings.IndexByte(css[j:], ')')
		if end < 0 {
			return cssRef{}, -1, false
		}
		return cssRef{}, j + end + 1, false
	}
	if v == "" || strings.ContainsRune(v, '\\') {
		return cssRef{}, j + 1, false
	}
	return cssRef{start: i, end: j + 1, url: v}, j + 1, true
}

// rewriteCSS replaces each reference in css by what to returns for it (the reference itself
// when to returns ""), keeping the token's form: url("…") or an @import string.
func rewriteCSS(css string, refs []cssRef, to func(cssRef) string) string {
	var b strings.Builder
	last := 0
	for _, r := range refs {
		u := to(r)
		if u == "" {
			continue
		}
		b.WriteString(css[last:r.start])
		q := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\a `).Replace(u)
		if r.isString {
			b.WriteString(`"` + q + `"`)
		} else {
			b.WriteString(`url("` + q + `")`)
		}
		last = r.end
	}
	if last == 0 {
		return css
	}
	b.WriteString(css[last:])
	return b.String()
}

// resolve returns ref made absolute against base, without its fragment, when it is an http(s)
// URL; "" otherwise (data:, blob:, about:, other schemes, unparsable).
func resolve(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || strings.HasPrefix(ref, "#") {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// Key is how a URL written in a recording is looked up among a session's archived resources:
// the string as written, without its fragment, and only when it is an absolute http(s) URL.
// The player applies the same rule (web/src/archive.ts), so both sides agree without
// normalising URLs differently.
func Key(ref string) string {
	ref = strings.TrimSpace(ref)
	if i := strings.IndexByte(ref, '#'); i >= 0 {
		ref = ref[:i]
	}
	l := strings.ToLower(ref)
	if !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") || len(ref) <= len("https://") {
		return ""
	}
	return ref
}
