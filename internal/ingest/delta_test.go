package ingest

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/reelhq/reel/internal/apierror"
)

// The SDK's stamp() (sdk/src/transport.ts), its regular expression and replacement applied to
// this text in Node:
//
//	json.replace(PACKED, …)
//
// Both sides must produce and undo exactly this.
const (
	deltaPlain = `{"seq":3,"events":[{"type":2,"data":{"node":{"type":0,"childNodes":[{"type":1,"name":"html","id":2},{"type":2,"tagName":"html","attributes":{},"childNodes":[],"id":3}],"id":1}},"timestamp":1764208800000},` +
		`{"type":3,"data":{"source":0,"removes":[{"parentId":3,"id":2}],"adds":[{"parentId":3,"nextId":null,"node":{"type":3,"textContent":"x","id":4}},{"parentId":3,"nextId":4,"node":{"type":3,"textContent":"y","id":5}}]},"timestamp":1764208800150},` +
		`{"type":5,"data":{"tag":"reel.track","payload":{"name":"n","props":{"id":-7,"a\"id":9,"xid":11,"f":{"id":1.5,"e":[{"id":2e21}]},"id":"text"}}},"timestamp":1764208800149}]}`
	deltaPacked = `{"seq":3,"events":[{"type":2,"data":{"node":{"type":0,"childNodes":[{"type":1,"name":"html","id":2},{"type":2,"tagName":"html","attributes":{},"childNodes":[],"id":1}],"id":-2}},"timestamp":1764208800000},` +
		`{"type":3,"data":{"source":0,"removes":[{"parentId":3,"id":1}],"adds":[{"parentId":0,"nextId":null,"node":{"type":3,"textContent":"x","id":2}},{"parentId":0,"nextId":0,"node":{"type":3,"textContent":"y","id":1}}]},"timestamp":150},` +
		`{"type":5,"data":{"tag":"reel.track","payload":{"name":"n","props":{"id":-12,"a\"id":16,"xid":11,"f":{"id":1.5,"e":[{"id":2e21}]},"id":"text"}}},"timestamp":-1}]}`
)

func TestDeltaMatchesTheSDK(t *testing.T) {
	packed, ok := Delta([]byte(deltaPlain))
	if !ok || string(packed) != deltaPacked {
		t.Fatalf("Delta = %v\n%s\nwant\n%s", ok, packed, deltaPacked)
	}
	plain, err := Undelta([]byte(deltaPacked), nil)
	if err != nil || string(plain) != deltaPlain {
		t.Fatalf("Undelta = %v\n%s\nwant\n%s", err, plain, deltaPlain)
	}
	if len(deltaPacked) >= len(deltaPlain) {
		t.Errorf("packed %d bytes, plain %d: the encoding should shorten node ids and timestamps", len(deltaPacked), len(deltaPlain))
	}
}

func TestDeltaLeavesLongNumbersAlone(t *testing.T) {
	text := []byte(`{"events":[{"type":5,"timestamp":1764208800000,"data":{"id":1234567890123456}}]}`)
	if out, ok := Delta(text); ok || !bytes.Equal(out, text) {
		t.Fatalf("a 16-digit id was encoded: %s", out)
	}
}

func TestUndeltaRefusesWhatTheSDKCannotSend(t *testing.T) {
	for name, text := range map[string]string{
		"17-digit difference":      `{"timestamp":12345678901234567}`,
		"value passes 15 digits":   `{"id":9999999999999999,"id":9999999999999999}`,
		"negative value too large": `{"parentId":-9999999999999999,"parentId":-9999999999999999}`,
		"huge difference":          `{"id":` + strings.Repeat("9", 400) + `}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Undelta([]byte(text), nil)
			var e *apierror.Error
			if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Code != "bad_encoding" {
				t.Fatalf("Undelta(%.60s) = %v, want a 400 bad_encoding", text, err)
			}
		})
	}
}

func TestUndeltaAccountsForMemory(t *testing.T) {
	// Every 6-byte `"id":1` becomes a value one larger: the output outgrows the input and each
	// growth is asked for first.
	text := []byte(`[` + strings.Repeat(`{"id":1},`, 20000) + `{"id":1}]`)
	var asked int64
	out, err := Undelta(text, func(n int64) error { asked += n; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte(`{"id":20001}]`)) {
		t.Fatalf("last value: %s", out[len(out)-20:])
	}
	if asked < int64(cap(out)) {
		t.Errorf("asked for %d bytes, allocated %d", asked, cap(out))
	}
	refused := errors.New("full")
	if _, err := Undelta(text, func(int64) error { return refused }); !errors.Is(err, refused) {
		t.Errorf("a refused reservation: %v", err)
	}
}

// FuzzDelta: whatever the text, Undelta(Delta(x)) is x, Undelta never panics and agrees with
// undeltaReference.
func FuzzDelta(f *testing.F) {
	f.Add([]byte(deltaPlain))
	f.Add([]byte(deltaPacked))
	f.Add([]byte(`{"id":-0,"nextId":-1,"parentId":"2","timestamp":3e4}`))
	f.Add([]byte(`"id":":5"id":`))
	f.Fuzz(func(t *testing.T, text []byte) {
		if packed, ok := Delta(text); ok {
			plain, err := Undelta(packed, nil)
			if err != nil || !bytes.Equal(plain, text) {
				t.Fatalf("round trip of %q: %v %q", text, err, plain)
			}
		}
		got, err := Undelta(text, nil)
		want, werr := undeltaReference(text)
		if (err == nil) != (werr == nil) || err == nil && !bytes.Equal(got, want) {
			t.Fatalf("Undelta(%q) = %q, %v; the reference: %q, %v", text, got, err, want, werr)
		}
	})
}

// undeltaReference is the first Undelta, written for clarity rather than speed: every `":`
// in turn, the name before it compared with each of the four.
func undeltaReference(text []byte) ([]byte, error) {
	var out []byte
	var prev [3]int64
	done := 0
	for at := 0; ; {
		j := bytes.Index(text[at:], []byte(`":`))
		if j < 0 {
			break
		}
		colon := at + j
		at = colon + 2
		k := keyNone
		for name, key := range map[string]deltaKey{`"id`: keyID, `"parentId`: keyParentID, `"timestamp`: keyTimestamp, `"nextId`: keyNextID} {
			if bytes.HasSuffix(text[:colon], []byte(name)) {
				k = key
			}
		}
		if k == keyNone {
			continue
		}
		n := integerAt(text[at:])
		if n == 0 {
			continue
		}
		digits := text[at : at+n]
		if n > maxDeltaDigits+1 || n == maxDeltaDigits+1 && digits[0] != '-' {
			return nil, errors.New("difference too long")
		}
		d, err := strconv.ParseInt(string(digits), 10, 64)
		if err != nil {
			return nil, err
		}
		from := k
		if k == keyNextID {
			from = keyID
		}
		v := prev[from] + d
		if v <= -maxValue || v >= maxValue {
			return nil, errors.New("value too long")
		}
		if k != keyNextID {
			prev[from] = v
		}
		out = append(out, text[done:at]...)
		out = strconv.AppendInt(out, v, 10)
		at += n
		done = at
	}
	return append(out, text[done:]...), nil
}

func BenchmarkUndelta(b *testing.B) {
	plain := []byte(strings.Repeat(deltaPlain, 200))
	packed, _ := Delta(plain)
	b.SetBytes(int64(len(plain)))
	loop(b, func() {
		Undelta(packed, nil)
	})
}
