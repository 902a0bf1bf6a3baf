package jsontok

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// decode builds the value starting at b[i] with the functions for validated text (Open,
// Member, Item, Skip, Unquote), as encoding/json with UseNumber would, and returns the index
// just past it.
func decode(t *testing.T, b []byte, i int) (any, int) {
	i = Space(b, i)
	switch b[i] {
	case '{':
		m := map[string]any{}
		at := Open(b, i, '{')
		for {
			key, v := Member(b, at)
			if key == nil {
				if v < 0 {
					t.Fatalf("Member at %d of %q: -1", at, b)
				}
				return m, v
			}
			k, ok := Unquote(key)
			if !ok {
				t.Fatalf("Unquote(%q) failed", key)
			}
			m[k], at = decode(t, b, v)
		}
	case '[':
		a := []any{}
		at := Open(b, i, '[')
		for {
			v, ok := Item(b, at)
			if !ok {
				if v < 0 {
					t.Fatalf("Item at %d of %q: -1", at, b)
				}
				return a, v
			}
			var x any
			x, at = decode(t, b, v)
			a = append(a, x)
		}
	case '"':
		end := Skip(b, i)
		s, ok := Unquote(b[i:end])
		if !ok {
			t.Fatalf("Unquote(%q) failed", b[i:end])
		}
		return s, end
	}
	end := Skip(b, i)
	switch tok := string(b[i:end]); tok {
	case "true":
		return true, end
	case "false":
		return false, end
	case "null":
		return nil, end
	default:
		return json.Number(tok), end
	}
}

// FuzzAgainstEncodingJSON holds the tokenizer to encoding/json, on any input:
//   - the Scanner accepts what json.Valid accepts (deeper than its limit aside);
//   - on valid text, the value built with Open, Member, Item, Skip and Unquote is the one
//     encoding/json decodes, and Skip ends each member and element of the top-level object or
//     array where encoding/json's Decoder ends it;
//   - Unquote of a quoted input agrees with json.Unmarshal into a string, failure included;
//   - StringEnd finds the first quote not escaped by a backslash.
func FuzzAgainstEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{"events":[{"type":1,"timestamp":2,"data":{}}]}`, `[1,2]`, `{"a":"\u00e9\n"}`, `-0.5e-3`,
		`{"a":[true,false,null]}`, `"\ud800"`, `"\ud83d\ude00 \ud83dx"`, "\"\xff\xfe caf\xc3\xa9\"",
		` { "k" : [ 1 , { } , [ ] , "x\\\"" ] } `, `"` + strings.Repeat(`x\\`, 20) + `"`,
		`{"a":1,}`, `[1 2]`, `{"a" 1}`, `01`, `"\q"`, "\"\x01\"", `[tru]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		// StringEnd against a plain loop.
		q := append([]byte{'"'}, in...)
		want := len(q)
		for j := 1; j < len(q); j++ {
			if q[j] == '\\' {
				j++
				continue
			}
			if q[j] == '"' {
				want = j
				break
			}
		}
		if got := StringEnd(q, 0); got != want && !(got > len(q) && want == len(q)) {
			t.Fatalf("StringEnd(%q) = %d, want %d", q, got, want)
		}

		// Unquote against json.Unmarshal.
		tok := append(q, '"')
		var ws string
		werr := json.Unmarshal(tok, &ws)
		gs, ok := Unquote(tok)
		if ok != (werr == nil) || ok && gs != ws {
			t.Fatalf("Unquote(%q) = %q, %v; encoding/json: %q, %v", tok, gs, ok, ws, werr)
		}

		// The Scanner against json.Valid.
		s := NewScanner(in, 200, 0)
		s.Space()
		err := s.Value()
		if err == nil {
			err = s.End()
		}
		if !errors.Is(err, ErrTooDeep) && (err == nil) != json.Valid(in) {
			t.Fatalf("Scanner(%q) err = %v, json.Valid = %v", in, err, json.Valid(in))
		}
		if err != nil {
			return
		}

		// On valid text: the value, and where each top-level member and element ends.
		got, end := decode(t, in, 0)
		if Space(in, end) != len(in) {
			t.Fatalf("%q: the value ends at %d", in, end)
		}
		dec := json.NewDecoder(bytes.NewReader(in))
		dec.UseNumber()
		var wantV any
		if err := dec.Decode(&wantV); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, wantV) {
			t.Fatalf("%q: decoded %#v, encoding/json %#v", in, got, wantV)
		}
		checkOffsets(t, in)
	})
}

// checkOffsets walks the top-level object or array of in with Member or Item and Skip and
// with encoding/json's Decoder, and compares where each value starts and ends.
func checkOffsets(t *testing.T, in []byte) {
	i := Space(in, 0)
	if in[i] != '{' && in[i] != '[' {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(in))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	at := i + 1
	for {
		var v int
		var more bool
		if in[i] == '{' {
			var key []byte
			key, v = Member(in, at)
			more = key != nil
			if more {
				k, err := dec.Token()
				if ks, _ := Unquote(key); err != nil || k != ks {
					t.Fatalf("%q: key %q, encoding/json %q (%v)", in, key, k, err)
				}
			}
		} else {
			v, more = Item(in, at)
		}
		if more != dec.More() {
			t.Fatalf("%q at %d: more = %v, encoding/json %v", in, at, more, dec.More())
		}
		if !more {
			if _, err := dec.Token(); err != nil {
				t.Fatal(err)
			}
			if off := int(dec.InputOffset()); v != off {
				t.Fatalf("%q: the container ends at %d, encoding/json %d", in, v, off)
			}
			if _, err := dec.Token(); err != io.EOF {
				t.Fatalf("%q: %v after the value", in, err)
			}
			return
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		end := Skip(in, v)
		if off := int(dec.InputOffset()); end != off || !bytes.Equal(in[v:end], raw) {
			t.Fatalf("%q: value %q at %d ends at %d, encoding/json %q ending at %d", in, in[v:end], v, end, raw, off)
		}
		at = end
	}
}

func TestScannerErrors(t *testing.T) {
	for name, c := range map[string]struct {
		in   string
		want error
	}{
		"trailing comma":   {`{"events":[1,]}`, ErrSyntax},
		"bad escape":       {`{"a":"\q"}`, ErrSyntax},
		"control char":     {"{\"a\":\"\x01\"}", ErrSyntax},
		"leading zero":     {`{"a":01}`, ErrSyntax},
		"trailing garbage": {`{"a":1}x`, ErrSyntax},
		"unterminated":     {`{"a":"b`, ErrSyntax},
		"bare word":        {`{"a":tru}`, ErrSyntax},
		"long string":      {`{"a":"` + strings.Repeat("x", 100) + `"}`, ErrTooLong},
		"deep":             {`[` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `]`, ErrTooDeep},
	} {
		t.Run(name, func(t *testing.T) {
			s := NewScanner([]byte(c.in), 64, 50)
			s.Space()
			err := s.Value()
			if err == nil {
				err = s.End()
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestMemberAndItem(t *testing.T) {
	b := []byte(` { "a" : [ 1 , "x\"]" ] , "b":{}} `)
	var keys []string
	end := Object(b, 0, func(key []byte, v int) int {
		keys = append(keys, string(key))
		if string(key) == `"a"` {
			var els []string
			e := Array(b, v, func(v int) int {
				e := Skip(b, v)
				els = append(els, string(b[v:e]))
				return e
			})
			if strings.Join(els, "|") != `1|"x\"]"` {
				t.Errorf("elements %q", els)
			}
			return e
		}
		return Skip(b, v)
	})
	if end != len(b)-1 || strings.Join(keys, ",") != `"a","b"` {
		t.Errorf("Object = %d, keys %q", end, keys)
	}
	for _, bad := range []string{`[1]`, `{"a"}`, `{"a":`, `{1:2}`, `{"a":1`} {
		if got := Object([]byte(bad), 0, func(_ []byte, v int) int { return Skip([]byte(bad), v) }); got != -1 {
			t.Errorf("Object(%s) = %d, want -1", bad, got)
		}
	}
}
