package main

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func jsonUnmarshal(b []byte, v any) { _ = json.Unmarshal(b, v) }

// sameJSON compares two JSON texts as values (numbers exactly, as written).
func sameJSON(a, b []byte) bool {
	var va, vb any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	if da.Decode(&va) != nil || db.Decode(&vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}
