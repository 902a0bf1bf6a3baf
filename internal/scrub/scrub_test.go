package scrub

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func mustCompile(t testing.TB, c Config) *Scrubber {
	t.Helper()
	s, err := Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestKinds runs each kind over positives (the value must be masked and counted) and near
// misses (the text must come back unchanged).
func TestKinds(t *testing.T) {
	s := mustCompile(t, Config{})
	for _, tc := range []struct {
		name, in, want string
		kind           string
	}{
		// Cards.
		{"visa grouped", "pay 4111 1111 1111 1111 now", "pay ████ ████ ████ ████ now", Card},
		{"visa solid", "4111111111111111", "████████████████", Card},
		{"visa dashes", "card:4111-1111-1111-1111.", "card:████-████-████-████.", Card},
		{"mastercard", "5555555555554444", "████████████████", Card},
		{"mastercard 2-series", "2223000048400011", "████████████████", Card},
		{"amex", "3782 822463 10005", "████ ██████ █████", Card},
		{"discover", "6011111111111117", "████████████████", Card},
		{"jcb", "3530111333300000", "████████████████", Card},
		{"diners", "30569309025904", "██████████████", Card},
		{"card after other digits", "qty 12 4111 1111 1111 1111", "qty 12 ████ ████ ████ ████", Card},
		// Emails.
		{"email", "write to jane.doe+x@example.co.uk today", "write to " + bar("jane.doe+x@example.co.uk") + " today", Email},
		{"email in url", "/u?e=bob@mail.example.com&x=1", "/u?e=████████████████████&x=1", Email},
		// Phones.
		{"phone parens", "call (555) 123-4567", "call (███) ███-████", Phone},
		{"phone dashes", "555-123-4567", "███-███-████", Phone},
		{"phone plus", "+44 20 7946 0958", "+██ ██ ████ ████", Phone},
		{"phone plus solid", "tel:+14155552671", "tel:+███████████", Phone},
		{"phone nanp 1", "1-800-555-0199", "█-███-███-████", Phone},
		{"phone trunk", "020 7946 0958", "███ ████ ████", Phone},
		// A number that runs into an email is judged without the email's local part, as it
		// will read once the email is masked.
		{"phone before email", "020 7946 0958 7@mail.example.com", "███ ████ ████ " + bar("7@mail.example.com"), Phone},
		{"digits as local part", "5551234567@example.com", bar("5551234567@example.com"), Email},
		// IBANs.
		{"iban grouped", "IBAN DE89 3704 0044 0532 0130 00.", "IBAN ████ ████ ████ ████ ████ ██.", IBAN},
		{"iban solid", "GB82WEST12345698765432", "██████████████████████", IBAN},
		// Tokens.
		{"bearer", "Authorization: Bearer abcdef0123456789xyz", "Authorization: Bearer ███████████████████", Token},
		{"jwt", "t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U&a=1",
			"t=" + bar("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U") + "&a=1", Token},
		{"stripe", "key sk_live_4eC39HqLyjWDarjtT1zdp7dc", "key ████████████████████████████████", Token},
		{"github", "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", strings.Repeat("█", 40), Token},
		{"slack", "xoxb-123456789012-abcdefghij", strings.Repeat("█", 28), Token},
		{"aws", "AKIAIOSFODNN7EXAMPLE", strings.Repeat("█", 20), Token},
		{"google", "AIzaSyA-1234567890abcdefghijklmnopqrstu", strings.Repeat("█", 39), Token},
		{"gitlab", "glpat-abcdefghij0123456789", strings.Repeat("█", 26), Token},
		{"reel token", "reel_0123456789abcdef_Zx9AbCdEfGhIjKlMnOpQrStUvWxYz", bar("reel_0123456789abcdef_Zx9AbCdEfGhIjKlMnOpQrStUvWxYz"), Token},

		// Near misses: unchanged.
		{"ms timestamp", "1764208800000", "", ""},
		{"timestamp 16", "1764208800000123", "", ""},
		{"non-luhn visa", "4111 1111 1111 1112", "", ""},
		{"luhn without issuer", "1234567812345670", "", ""},
		{"card inside longer run", "41111111111111110", "", ""},
		{"card inside word", "id4111111111111111", "", ""},
		{"card with letters after", "4111111111111111px", "", ""},
		{"price", "$1,234.56 or 1234.56", "", ""},
		{"product id in path", "/products/4111111111111111x/reviews", "", ""},
		{"iso date", "2024-01-15 12:30:00 and 2024-01-15T12:30:00Z", "", ""},
		{"uuid", "550e8400-e29b-41d4-a716-446655440000", "", ""},
		{"hex hash", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "", ""},
		{"bare digits", "order 5551234567 and 0123456789", "", ""},
		{"css", "margin: 0 1px; color: #123456; z-index: 100 200 300 4000; transform: matrix(1, 0, 0, 1, 0, 0)", "", ""},
		{"version", "v1.2.3 build 2024.01.15", "", ""},
		{"not an email", "a@b, @user, x@localhost, me@host.c0m", "", ""},
		{"public key", "pk_live_abcdefghij0123456789 pk_3kq0c8m2x7v9p1za", "", ""},
		{"sk too short", "sk_live_abc", "", ""},
		{"bearer short", "Bearer abc", "", ""},
		{"eyJ alone", "eyJhbGciOiJIUzI1NiJ9", "", ""},
		{"iban bad checksum", "DE88 3704 0044 0532 0130 00", "", ""},
		{"iban-like words", "DE12 is a code", "", ""},
		{"base64 font", "src:url(data:font/woff2;base64,d09GMgABAAAAAAi0eyJhbGciOiJIUzI1NiJ9AeyJzdWIiOiIxMjM0NTY3ODkwIn0+4111111111111111+) format('woff2')", "", ""},
		{"phone-ish dates", "01-15-2024 and 12/31/2024", "", ""},
		{"plus inside base64", "AAAA+14155552671/AAAA", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, counts := s.String(tc.in)
			want := tc.want
			if want == "" {
				want = tc.in
			}
			if got != want {
				t.Errorf("String(%q)\n got %q\nwant %q", tc.in, got, want)
			}
			if utf8.RuneCountInString(got) != utf8.RuneCountInString(tc.in) {
				t.Errorf("length changed: %d → %d characters", utf8.RuneCountInString(tc.in), utf8.RuneCountInString(got))
			}
			if tc.kind == "" && counts != nil {
				t.Errorf("counts %v for a near miss", counts)
			}
			if tc.kind != "" && counts[tc.kind] != 1 {
				t.Errorf("counts %v, want 1 %s", counts, tc.kind)
			}
		})
	}
}

func TestCompile(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Config
		err  string
	}{
		{"default", Config{}, ""},
		{"a pattern", Config{Patterns: []string{`ORD-\d{6}`}}, ""},
		{"bad kind", Config{Off: []string{"ssn"}}, `"ssn" is not a kind`},
		{"invalid", Config{Patterns: []string{`ok`, `a(b`}}, `pattern 2 "a(b": is not a valid regular expression`},
		{"too long", Config{Patterns: []string{strings.Repeat("a", 257)}}, "longer than 256 bytes"},
		{"too costly", Config{Patterns: []string{`[a-z]{1,300}[0-9]{1,300}[a-z]{1,300}[0-9]{1,300}`}}, "is too costly"},
		{"empty match", Config{Patterns: []string{`x*`}}, "matches the empty string"},
		{"backreference", Config{Patterns: []string{`(a)\1`}}, "is not a valid regular expression"},
		{"too many", Config{Patterns: strings.Split(strings.Repeat("a,", 20)+"a", ",")}, "at most 20 patterns"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.c)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("Compile: %v, want %q", err, tc.err)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	in := "jane@example.com 555-123-4567 ORD-123456"
	for _, tc := range []struct {
		name string
		c    Config
		want string
	}{
		{"default", Config{}, "████████████████ ███-███-████ ORD-123456"},
		{"phone off", Config{Off: []string{Phone}}, "████████████████ 555-123-4567 ORD-123456"},
		{"disabled", Config{Disabled: true, Patterns: []string{`ORD-\d+`}}, in},
		{"custom", Config{Patterns: []string{`ORD-\d+`}}, "████████████████ ███-███-████ ██████████"},
		{"custom unicode", Config{Patterns: []string{`jane`}}, "████████████████ ███-███-████ ORD-123456"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := mustCompile(t, tc.c).String(in)
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	got, counts := mustCompile(t, Config{Patterns: []string{`é+`}}).String("café ééé")
	if got != "caf█ ███" || counts[Custom] != 2 {
		t.Errorf("multibyte custom: %q %v", got, counts)
	}
}

func TestJSON(t *testing.T) {
	s := mustCompile(t, Config{})
	for _, tc := range []struct {
		name, in, want string
		counts         Counts
	}{
		{"nothing", `{"a":"hello","n":4111111111111111}`, "", nil},
		{"value", `{"text":"mail jane@example.com"}`, `{"text":"mail ████████████████"}`, Counts{Email: 1}},
		{"keys untouched", `{"jane@example.com":1}`, "", nil},
		{"session and tab", `{"session":"555-123-4567","tab":"555-123-4567","events":[{"tab":"555-123-4567"}]}`,
			`{"session":"555-123-4567","tab":"555-123-4567","events":[{"tab":"███-███-████"}]}`, Counts{Phone: 1}},
		{"identify userId kept, traits scrubbed", `{"tag":"reel.identify","payload":{"userId":"jane@example.com","traits":{"email":"jane@example.com"}}}`,
			`{"tag":"reel.identify","payload":{"userId":"jane@example.com","traits":{"email":"████████████████"}}}`, Counts{Email: 1}},
		{"track userId scrubbed", `{"payload":{"props":{"userId":"jane@example.com"}}}`, `{"payload":{"props":{"userId":"████████████████"}}}`, Counts{Email: 1}},
		{"escapes", `["line\n4111 1111 1111 1111 \"q\" \u0041 \ud83d\ude00"]`, `["line\n████ ████ ████ ████ \"q\" A 😀"]`, Counts{Card: 1}},
		{"escaped at", `["jane\u0040example.com"]`, `["████████████████"]`, Counts{Email: 1}},
		{"marker", `["\u0000reel:a:4111111111111111"]`, "", nil},
		{"base64 blob", `{"base64":"` + strings.Repeat("AAAA", 20) + `+14155552671/4111111111111111+` + `"}`, "", nil},
		{"long token alone", `{"t":"xoxp-` + strings.Repeat("1234567890", 7) + `"}`, `{"t":"` + bar("xoxp-"+strings.Repeat("1234567890", 7)) + `"}`, Counts{Token: 1}},
		{"url query", `{"href":"https://shop.example/p/4111111111111111x?card=4111111111111111&mail=a%40b.com&to=jane@example.com"}`,
			`{"href":"https://shop.example/p/4111111111111111x?card=████████████████&mail=a%40b.com&to=████████████████"}`, Counts{Card: 1, Email: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, counts := s.JSON([]byte(tc.in))
			want := tc.want
			if want == "" {
				want = tc.in
				if &got[0] != &[]byte(tc.in)[0] && string(got) != tc.in {
					t.Errorf("changed")
				}
			}
			if string(got) != want {
				t.Errorf("JSON(%s)\n got %s\nwant %s", tc.in, got, want)
			}
			if !json.Valid(got) {
				t.Errorf("output is not valid JSON")
			}
			if len(counts) != len(tc.counts) {
				t.Errorf("counts %v, want %v", counts, tc.counts)
			}
			for k, n := range tc.counts {
				if counts[k] != n {
					t.Errorf("counts %v, want %v", counts, tc.counts)
				}
			}
		})
	}
}

func TestJSONUnchangedIsSame(t *testing.T) {
	in := []byte(`{"a":"nothing here","b":[1,2,3]}`)
	out, _ := mustCompile(t, Config{}).JSON(in)
	if &out[0] != &in[0] {
		t.Fatal("JSON copied an input it did not change")
	}
}

// bar is what a value becomes when scrubbed whole.
func bar(v string) string { return strings.Repeat(string(Mask), utf8.RuneCountInString(v)) }
